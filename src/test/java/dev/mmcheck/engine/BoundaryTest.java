package dev.mmcheck.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Histories that meet at a boundary of a thread's code ({@link Steps#boundary}) are one state. */
class BoundaryTest {
    private static final int L = 0;
    private static final int X = 1;
    private static final int Y = 2;

    private static Memory memory() {
        Layout layout = new Layout();
        layout.alloc("L");
        layout.alloc("x");
        layout.alloc("y");
        return new Memory(layout);
    }

    /** A reads x, forgets what it read, and writes y, twice; B sets x and clears it again. */
    private static Program readerAndFlipper() {
        ThreadSpec a = new ThreadSpec("A", s -> {
            for (int i = 0; i < 2; i++) {
                s.step(Toy.read(X));
                s.boundary(i);
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
    void whatACallReturnedIsForgottenAtTheBoundary() {
        Set<List<Long>> merged = new HashSet<>();
        Set<List<Long>> whole = new HashSet<>();
        Result m = explore(readerAndFlipper(), Options.exhaustive(), merged);
        Result w = explore(readerAndFlipper(), Options.exhaustive().withMergeHistories(false), whole);
        assertThat(merged).isEqualTo(whole).containsExactly(List.of(0L, 2L));
        // A after its first read of 0 and after its read of 1 is one state once B has cleared x.
        assertThat(m.stats().states()).isLessThan(w.stats().states());
    }

    @Test
    void theSameKeyAtAnotherCountOfBoundariesIsAnotherPoint() {
        // A says boundary(0) both times: the boundaries crossed tell the two points apart.
        ThreadSpec a = new ThreadSpec("A", s -> {
            for (int i = 0; i < 2; i++) {
                s.step(Toy.read(X));
                s.boundary(0);
                s.step(Toy.write(Y, i + 1));
            }
        });
        ThreadSpec b = new ThreadSpec("B", s -> s.step(Toy.write(X, 1)));
        Set<List<Long>> finals = new HashSet<>();
        explore(new Program(memory(), List.of(a, b), List.of(), List.of()), Options.exhaustive(), finals);
        assertThat(finals).containsExactly(List.of(1L, 2L));
    }

    @Test
    void aBoundaryHoldingALockIsAModelError() {
        ThreadSpec a = new ThreadSpec("A", s -> {
            s.step(Toy.lock(L));
            s.boundary(0);
            s.step(Toy.unlock(L));
        });
        Program p = new Program(memory(), List.of(a), List.of(), List.of());
        assertThatThrownBy(() -> new Explorer(p, Options.exhaustive()).run())
                .isInstanceOf(ModelError.class)
                .hasMessageContaining("thread A reached a boundary of its code holding L");
    }
}
