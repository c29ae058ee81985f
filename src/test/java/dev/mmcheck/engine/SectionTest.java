package dev.mmcheck.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Critical sections of one lock in sleep sets ({@link Section}): when they commute, and when not. */
class SectionTest {
    private static final int L = 0;
    private static final int X = 1;
    private static final int Y = 2;

    private static Memory memory() {
        return Toy.memory("L", "x", "y");
    }

    /** lock L; slot = value; unlock L. */
    private static ThreadSpec section(String name, int slot, long value) {
        return new ThreadSpec(name, s -> {
            s.step(Toy.lock(L));
            s.step(Toy.write(slot, value));
            s.step(Toy.unlock(L));
        });
    }

    /** The distinct final states, as (x, y), and the result. */
    private static Result explore(Program p, Set<List<Long>> finals) {
        return new Explorer(p, Options.exhaustive(), m -> finals.add(List.of(m.peek(X), m.peek(Y)))).run();
    }

    @Test
    void sectionsOnDifferentDataCommute() {
        Program p = new Program(memory(), List.of(section("A", X, 1), section("B", Y, 1)), List.of(), List.of());
        Set<List<Long>> finals = new HashSet<>();
        Result r = explore(p, finals);
        assertThat(finals).containsExactly(List.of(1L, 1L));
        // Taking the lock stands for A's whole section: B's section does not wake it, one order is enough.
        assertThat(r.stats().executions()).isEqualTo(1);
    }

    @Test
    void sectionsOnTheSameDataDoNot() {
        Program p = new Program(memory(), List.of(section("A", X, 1), section("B", X, 2)), List.of(), List.of());
        Set<List<Long>> finals = new HashSet<>();
        explore(p, finals);
        assertThat(finals).containsExactlyInAnyOrder(List.of(1L, 0L), List.of(2L, 0L));
    }

    /**
     * A step that takes the lock and writes data: the data is no part of the lock, and a section
     * that touches it does not commute with that step (here: B's lock step sets x, which A's
     * section resets, so the order of the two sections shows in x).
     */
    @Test
    void dataTouchedByALockStepIsNoPartOfTheLock() {
        ThreadSpec a = new ThreadSpec("A", s -> {
            s.step(Toy.lock(L));
            s.step(Toy.write(X, 1));
            s.step(Toy.unlock(L));
        });
        ThreadSpec b = new ThreadSpec("B", s -> {
            s.step(new Op() {
                public boolean enabled(Memory m) { return m.read(L) == 0; }
                public int guardLock() { return L; }
                public long run(Memory m) { m.write(L, 1); m.acquired(L, false); m.write(X, 2); return 0; }
                public String describe(long r) { return "lock L, x = 2"; }
            });
            s.step(Toy.unlock(L));
        });
        Set<List<Long>> finals = new HashSet<>();
        explore(new Program(memory(), List.of(a, b), List.of(), List.of()), finals);
        assertThat(finals).containsExactlyInAnyOrder(List.of(1L, 0L), List.of(2L, 0L));
    }

    /**
     * A lock that counts its acquisitions (bit 0: held; the rest: tickets handed out) is not the
     * same whenever it is free, and a section that reads its ticket sees the order: no section.
     */
    @Test
    void aLockThatIsNotTheSameWhenFreeBeginsNoSection() {
        Op take = new Op() {
            public boolean enabled(Memory m) { return (m.read(L) & 1) == 0; }
            public int guardLock() { return L; }
            public long run(Memory m) { long v = m.read(L); m.write(L, v + 3); m.acquired(L, false); return v >> 1; }
            public String describe(long r) { return "take ticket " + r; }
        };
        Op give = new Op() {
            public long run(Memory m) { m.write(L, m.read(L) - 1); m.released(L); return 0; }
            public String describe(long r) { return "release"; }
        };
        ThreadSpec a = new ThreadSpec("A", s -> {
            long ticket = s.step(take);
            s.step(Toy.write(X, ticket + 1));
            s.step(give);
        });
        ThreadSpec b = new ThreadSpec("B", s -> {
            s.step(take);
            s.step(give);
        });
        Set<List<Long>> finals = new HashSet<>();
        explore(new Program(memory(), List.of(a, b), List.of(), List.of()), finals);
        assertThat(finals).containsExactlyInAnyOrder(List.of(1L, 0L), List.of(2L, 0L));
    }

    /** A trylock that finds the lock busy goes another way: the section it begins stands for nothing of that. */
    @Test
    void aTriedLockBeginsNoSection() {
        ThreadSpec tryer = new ThreadSpec("A", s -> {
            if (s.step(Toy.trylock(L)) == 1) {
                s.step(Toy.write(X, 1));
                s.step(Toy.unlock(L));
            } else {
                s.step(Toy.write(Y, 1));
            }
        });
        ThreadSpec locker = new ThreadSpec("B", s -> {
            s.step(Toy.lock(L));
            s.step(Toy.unlock(L));
        });
        Set<List<Long>> finals = new HashSet<>();
        explore(new Program(memory(), List.of(tryer, locker), List.of(), List.of()), finals);
        assertThat(finals).containsExactlyInAnyOrder(List.of(1L, 0L), List.of(0L, 1L));
    }

    /**
     * A lock-taking step stands for its whole section in persistent sets ({@code
     * Options.atomicSections}), yet a trylock that finds the lock busy still sees the inside of the
     * section: the tryer writes y = 1 if the lock was busy, y = 2 if it took it; the locker sets x
     * in its section. (The section is not taken whole while a thread touches the lock without
     * holding it; its unlock is then no local step either, which alone keeps this case.)
     */
    @Test
    void aLockTriedWithoutTakingItSeesInsideSections() {
        ThreadSpec tryer = new ThreadSpec("tryer", s -> {
            long took = s.step(Toy.trylock(L));
            if (took == 1) {
                s.step(Toy.unlock(L));
            }
            s.step(Toy.write(Y, took + 1));
        });
        Set<List<Long>> finals = new HashSet<>();
        explore(new Program(memory(), List.of(tryer, section("locker", X, 1)), List.of(), List.of()), finals);
        assertThat(finals).containsExactlyInAnyOrder(List.of(1L, 1L), List.of(1L, 2L));
    }
}
