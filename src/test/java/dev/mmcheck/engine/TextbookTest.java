package dev.mmcheck.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextbookTest {

    /** Two threads increment x without a lock: the lost update must be found. */
    static Program counter(boolean locked) {
        Layout layout = new Layout();
        int x = layout.alloc("x");
        int l = layout.alloc("lock");
        Memory init = new Memory(layout);
        ThreadSpec.Body inc = s -> {
            if (locked) s.step(Toy.lock(l));
            long v = s.step(Toy.read(x));
            s.step(Toy.write(x, v + 1));
            if (locked) s.step(Toy.unlock(l));
        };
        Program.Check two = m -> m.peek(x) == 2 ? null : new Violation("LOST_UPDATE", "x = " + m.peek(x));
        return new Program(init, List.of(new ThreadSpec("A", inc), new ThreadSpec("B", inc)), List.of(), List.of(two));
    }

    @Test
    void lostUpdateIsFound() {
        Result r = new Explorer(counter(false), Options.exhaustive()).run();
        assertThat(r.verdict()).isEqualTo(Verdict.VIOLATION);
        assertThat(r.found().violation().kind()).isEqualTo("LOST_UPDATE");
        Tracer.Trace t = Tracer.replay(counter(false), r.found().schedule(), null);
        assertThat(t.violation().kind()).isEqualTo("LOST_UPDATE");
    }

    @Test
    void lockedCounterIsVerified() {
        Result r = new Explorer(counter(true), Options.exhaustive()).run();
        assertThat(r.verdict()).isEqualTo(Verdict.VERIFIED);
        // Both orders in which the two threads take the lock, and nothing else: inside the lock and
        // at the unlock no other order can be told apart.
        assertThat(r.stats().executions()).isEqualTo(2);
        assertThat(new Explorer(counter(true), Options.exhaustive().withLocalSteps(false)).run().stats().states())
                .isGreaterThan(r.stats().states());
    }

    @Test
    void abbaDeadlockIsFound() {
        Layout layout = new Layout();
        int a = layout.alloc("A");
        int b = layout.alloc("B");
        ThreadSpec t1 = new ThreadSpec("T1", s -> {
            s.step(Toy.lock(a)); s.step(Toy.lock(b)); s.step(Toy.unlock(b)); s.step(Toy.unlock(a));
        });
        ThreadSpec t2 = new ThreadSpec("T2", s -> {
            s.step(Toy.lock(b)); s.step(Toy.lock(a)); s.step(Toy.unlock(a)); s.step(Toy.unlock(b));
        });
        Program p = new Program(new Memory(layout), List.of(t1, t2), List.of(), List.of());
        Result r = new Explorer(p, Options.exhaustive()).run();
        assertThat(r.verdict()).isEqualTo(Verdict.VIOLATION);
        assertThat(r.found().violation().kind()).isEqualTo(Violation.DEADLOCK);
        Found min = Minimizer.minimize(p, r.found(), 5);
        assertThat(min.schedule().length()).isEqualTo(2);
    }
}
