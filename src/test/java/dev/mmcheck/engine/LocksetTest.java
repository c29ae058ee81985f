package dev.mmcheck.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmcheck.engine.RandomProgram.Instr;
import dev.mmcheck.engine.RandomProgram.Kind;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Locks declared to the engine ({@link Memory#acquired}): a step under a lock that every other
 * access to its slots is made under is taken alone, shared holders do not keep each other out, and
 * declarations that break mutual exclusion are model errors.
 */
class LocksetTest {

    @Test
    void locksetsIntersectAndExcludeByMode() {
        int[] aX = {Lockset.entry(3, false)};
        int[] aS = {Lockset.entry(3, true)};
        int[] ab = Lockset.with(aX, 5, false);
        assertThat(Lockset.intersect(ab, aS)).containsExactly(Lockset.entry(3, true));
        assertThat(Lockset.intersect(ab, aX)).containsExactly(Lockset.entry(3, false));
        assertThat(Lockset.intersect(aX, new int[0])).isEmpty();
        assertThat(Lockset.excludes(aX, aS)).isTrue();
        assertThat(Lockset.excludes(aS, aX)).isTrue();
        assertThat(Lockset.excludes(aS, aS)).isFalse();
        assertThat(Lockset.excludes(ab, new int[] {Lockset.entry(4, false)})).isFalse();
        assertThat(Lockset.within(aX, ab)).isTrue();
        assertThat(Lockset.within(aX, aS)).isFalse();
        assertThat(Lockset.without(ab, 3)).containsExactly(Lockset.entry(5, false));
        assertThat(Lockset.without(aX, 5)).isNull();
    }

    /** Two threads: take the lock, write x three times, release it; declared or not. */
    private static Program writers(boolean declared) {
        Layout layout = new Layout();
        int x = layout.alloc("x");
        int l = layout.alloc("L");
        ThreadSpec.Body body = s -> {
            s.step(declared ? Toy.lock(l) : undeclaredLock(l));
            for (int i = 1; i <= 3; i++) {
                s.step(Toy.write(x, 10 * s.self() + i));
            }
            s.step(declared ? Toy.unlock(l) : undeclaredUnlock(l));
        };
        return new Program(new Memory(layout), List.of(new ThreadSpec("A", body), new ThreadSpec("B", body)), List.of(), List.of());
    }

    private static Op undeclaredLock(int slot) {
        return new Op() {
            public boolean enabled(Memory m) { return m.read(slot) == 0; }
            public long run(Memory m) { m.write(slot, 1); return 0; }
            public String describe(long r) { return "lock"; }
        };
    }

    private static Op undeclaredUnlock(int slot) {
        return new Op() {
            public long run(Memory m) { m.write(slot, 0); return 0; }
            public String describe(long r) { return "unlock"; }
        };
    }

    private static Set<Long> finalX(Program p, Options o) {
        Set<Long> xs = new HashSet<>();
        new Explorer(p, o, m -> xs.add(m.peek(0))).run();
        return xs;
    }

    @Test
    void writesUnderADeclaredLockAreTakenAlone() {
        Options o = Options.exhaustive().withSleepSets(false).withStopAtFirst(false);
        Result declared = new Explorer(writers(true), o).run();
        Result undeclared = new Explorer(writers(false), o).run();
        assertThat(declared.verdict()).isEqualTo(Verdict.VERIFIED);
        assertThat(declared.stats().states()).isLessThan(undeclared.stats().states());
        assertThat(finalX(writers(true), o)).containsExactlyInAnyOrder(3L, 13L)
                .isEqualTo(finalX(writers(false), o.withLocalSteps(false)));
    }

    /**
     * T0 writes x0 = 1 then x0 = 0 holding L shared; T1 reads x0 holding L shared and stores what
     * it read + 1 in x1. Shared holders do not keep each other out: T1 must see the 1.
     */
    @Test
    void sharedHoldersDoNotKeepEachOtherOut() {
        RandomProgram p = new RandomProgram(2, 1, List.of(0L, 0L), List.of(
                        List.of(new Instr(Kind.READ_LOCK, 0, 0), new Instr(Kind.WRITE_CONST, 0, 1),
                                new Instr(Kind.WRITE_CONST, 0, 0), new Instr(Kind.READ_UNLOCK, 0, 0)),
                        List.of(new Instr(Kind.READ_LOCK, 0, 0), new Instr(Kind.READ, 0, 0),
                                new Instr(Kind.READ_UNLOCK, 0, 0), new Instr(Kind.WRITE_INC, 1, 0))),
                List.of(), List.of());
        Set<List<Long>> naive = NaiveEnumerator.enumerate(p).finals().keySet();
        assertThat(naive).anyMatch(s -> s.get(1) == 2L);
        for (Options o : List.of(Options.exhaustive(), Options.exhaustive().withSleepSets(false).withStateCaching(false))) {
            assertThat(ReductionSoundnessTest.explore(p, p.compile(), o.withStopAtFirst(false)).finals()).as("%s", o)
                    .isEqualTo(naive);
        }
    }

    /** Takes lock {@code l} ignoring that it may be held: a model bug. */
    private static Op grab(int l) {
        return new Op() {
            public long run(Memory m) { m.write(l, 1); m.acquired(l, false); return 0; }
            public String describe(long r) { return "grab L"; }
        };
    }

    @Test
    void takingAHeldLockIsAModelError() {
        Layout layout = new Layout();
        int l = layout.alloc("L");
        ThreadSpec.Body body = s -> s.step(grab(l));
        Program p = new Program(new Memory(layout), List.of(new ThreadSpec("A", body), new ThreadSpec("B", body)), List.of(), List.of());
        assertThatThrownBy(() -> new Explorer(p, Options.exhaustive()).run()).isInstanceOf(ModelError.class)
                .hasMessageContaining("took L while");
    }

    /**
     * The same, when the step that takes the lock wrongly already took it once while nobody held it
     * (the explorer remembers what a step did with locks and does not work it out again).
     */
    @Test
    void takingAHeldLockIsAModelErrorAfterTheSameStepTookItFreely() {
        Layout layout = new Layout();
        int l = layout.alloc("L");
        ThreadSpec a = new ThreadSpec("A", s -> s.step(grab(l))); // runs first: L is free
        ThreadSpec b = new ThreadSpec("B", s -> s.step(Toy.lock(l))); // then B first: A grabs L from B
        Program p = new Program(new Memory(layout), List.of(a, b), List.of(), List.of());
        assertThatThrownBy(() -> new Explorer(p, Options.exhaustive()).run()).isInstanceOf(ModelError.class)
                .hasMessageContaining("took L while B holds it");
    }

    @Test
    void releasingALockNotHeldIsAModelError() {
        Layout layout = new Layout();
        int l = layout.alloc("L");
        Program p = new Program(new Memory(layout), List.of(new ThreadSpec("A", s -> s.step(Toy.unlock(l)))), List.of(), List.of());
        assertThatThrownBy(() -> new Explorer(p, Options.exhaustive()).run()).isInstanceOf(ModelError.class)
                .hasMessageContaining("released L, which it does not hold");
    }
}
