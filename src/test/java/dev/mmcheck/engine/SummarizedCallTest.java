package dev.mmcheck.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A summarized call ({@link Steps#beginCall}) is, once it returned, its key and result only. */
class SummarizedCallTest {
    private static final int L = 0;
    private static final int X = 1;
    private static final int Y = 2;

    private static Memory memory() {
        return Toy.memory("L", "x", "y");
    }

    /** A, twice: a call that reads x (and returns nothing), then y = i + 1. B sets x and clears it again. */
    private static Program readerAndFlipper(boolean keepResult) {
        ThreadSpec a = new ThreadSpec("A", s -> {
            for (int i = 0; i < 2; i++) {
                s.beginCall(i);
                long x = s.step(Toy.read(X));
                s.endCall(keepResult ? x : 0);
                s.step(Toy.write(Y, i + 1));
            }
        });
        ThreadSpec b = new ThreadSpec("B", s -> {
            s.step(Toy.write(X, 1));
            s.step(Toy.write(X, 0));
        });
        return new Program(memory(), List.of(a, b), List.of(), List.of());
    }

    private static Result explore(Program p, Options o, Set<List<Long>> finals) {
        return new Explorer(p, o.withLocalSteps(false), m -> finals.add(List.of(m.peek(X), m.peek(Y)))).run();
    }

    @Test
    void whatACallDidInsideIsForgottenOnceItReturns() {
        Set<List<Long>> merged = new HashSet<>();
        Set<List<Long>> whole = new HashSet<>();
        Result m = explore(readerAndFlipper(false), Options.exhaustive(), merged);
        Result w = explore(readerAndFlipper(false), Options.exhaustive().withMergeHistories(false), whole);
        assertThat(merged).isEqualTo(whole).containsExactly(List.of(0L, 2L));
        // A after a call that read 0 and after one that read 1 is one state once B has cleared x.
        assertThat(m.stats().states()).isLessThan(w.stats().states());
    }

    @Test
    void whatItReturnedIsKept() {
        Result kept = explore(readerAndFlipper(true), Options.exhaustive(), new HashSet<>());
        Result whole = explore(readerAndFlipper(true), Options.exhaustive().withMergeHistories(false), new HashSet<>());
        // Each call's result is what it read: nothing inside is forgotten that the caller could see.
        assertThat(kept.stats().states()).isEqualTo(whole.stats().states());
    }

    @Test
    void callsNestAndTheSameKeyInAnotherStateIsAnotherCall() {
        // The second call has the key of the first: the state before it tells them apart.
        ThreadSpec a = new ThreadSpec("A", s -> {
            for (int i = 0; i < 2; i++) {
                s.beginCall(0);
                s.beginCall(7);
                s.step(Toy.read(X));
                s.endCall(0);
                s.endCall(0);
                s.step(Toy.write(Y, i + 1));
            }
        });
        ThreadSpec b = new ThreadSpec("B", s -> s.step(Toy.write(X, 1)));
        Set<List<Long>> finals = new HashSet<>();
        explore(new Program(memory(), List.of(a, b), List.of(), List.of()), Options.exhaustive(), finals);
        assertThat(finals).containsExactly(List.of(1L, 2L));
    }

    @Test
    void aCallThatLeavesDifferentLocksHeldIsAModelError() {
        // A takes L inside the call or not, as x says, and returns the same: its states would merge
        // with different locks held.
        ThreadSpec a = new ThreadSpec("A", s -> {
            s.beginCall(0);
            if (s.step(Toy.read(X)) == 1) {
                s.step(Toy.lock(L));
            } else {
                s.step(Toy.write(Y, 1));
            }
            s.endCall(0);
            s.step(Toy.write(Y, 2));
        });
        ThreadSpec b = new ThreadSpec("B", s -> s.step(Toy.write(X, 1)));
        Program p = new Program(memory(), List.of(a, b), List.of(), List.of());
        assertThatThrownBy(() -> new Explorer(p, Options.exhaustive().withLocalSteps(false)).run())
                .isInstanceOf(ModelError.class)
                .hasMessageContaining("thread A returned from a summarized call holding other locks than in another execution");
    }
}
