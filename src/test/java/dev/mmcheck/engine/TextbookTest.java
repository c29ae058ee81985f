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

    /** Two threads set and test each their own bit of one word, kept bit per slot or as one slot. */
    static Program bitsOfOneWord(boolean bitPerSlot) {
        Layout layout = new Layout();
        int word = bitPerSlot ? layout.allocBits("word", "a", "b") : layout.alloc("word");
        ThreadSpec.Body[] bodies = new ThreadSpec.Body[2];
        for (int i = 0; i < 2; i++) {
            long bit = 1L << i;
            bodies[i] = s -> {
                s.step(op(m -> {
                    if (bitPerSlot) {
                        m.writeBits(word, bit, bit);
                    } else {
                        m.write(word, m.read(word) | bit);
                    }
                    return 0;
                }));
                s.step(op(m -> bitPerSlot ? m.readBits(word, bit) : m.read(word) & bit));
            };
        }
        Program.Check both = m -> (bitPerSlot ? m.peekBits(word, 3) : m.peek(word)) == 3 ? null : new Violation("LOST_BIT", "a bit was lost");
        return new Program(new Memory(layout), List.of(new ThreadSpec("A", bodies[0]), new ThreadSpec("B", bodies[1])), List.of(), List.of(both));
    }

    private static Op op(java.util.function.ToLongFunction<Memory> f) {
        return new Op() {
            public long run(Memory m) {
                return f.applyAsLong(m);
            }

            public String describe(long result) {
                return "bits";
            }
        };
    }

    @Test
    void stepsOnDifferentBitsOfAWordCommute() {
        Options noLocal = Options.exhaustive().withLocalSteps(false);
        Result bits = new Explorer(bitsOfOneWord(true), noLocal).run();
        Result word = new Explorer(bitsOfOneWord(false), noLocal).run();
        assertThat(bits.verdict()).isEqualTo(Verdict.VERIFIED);
        assertThat(word.verdict()).isEqualTo(Verdict.VERIFIED);
        assertThat(bits.stats().executions()).isEqualTo(1);
        assertThat(word.stats().executions()).isGreaterThan(1);
    }

    /**
     * Two threads each drop a reference to one object (atomic_dec_and_test), starting from
     * {@code refs}; the one that takes it to zero frees it, and the other must not be the one.
     */
    static Program twoPuts(long refs, boolean asAdds) {
        Layout layout = new Layout();
        int count = layout.alloc("count");
        int freedBy = layout.alloc("freedBy");
        Memory init = new Memory(layout);
        init.write(count, refs);
        ThreadSpec.Body[] bodies = new ThreadSpec.Body[2];
        for (int i = 0; i < 2; i++) {
            long me = i + 1;
            bodies[i] = s -> {
                long last = s.step(op(m -> {
                    if (asAdds) {
                        return m.addAndSign(count, -1) == 0 ? 1 : 0;
                    }
                    long c = m.read(count) - 1;
                    m.write(count, c);
                    return c == 0 ? 1 : 0;
                }));
                if (last == 1) {
                    s.step(Toy.write(freedBy, me));
                }
            };
        }
        return new Program(init, List.of(new ThreadSpec("A", bodies[0]), new ThreadSpec("B", bodies[1])), List.of(), List.of());
    }

    @Test
    void addsToACounterCommuteUnlessOneSeesItReachZero() {
        Options noLocal = Options.exhaustive().withLocalSteps(false);
        java.util.Set<Long> freers = new java.util.HashSet<>();
        Result lastTwo = new Explorer(twoPuts(2, true), noLocal, m -> freers.add(m.peek(1))).run();
        assertThat(freers).containsExactlyInAnyOrder(1L, 2L); // either may drop the last reference
        assertThat(lastTwo.stats().executions()).isEqualTo(2);
        // From three references neither reaches zero, whichever goes first: one order is enough.
        assertThat(new Explorer(twoPuts(3, true), noLocal).run().stats().executions()).isEqualTo(1);
        assertThat(new Explorer(twoPuts(3, false), noLocal).run().stats().executions()).isEqualTo(2);
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
