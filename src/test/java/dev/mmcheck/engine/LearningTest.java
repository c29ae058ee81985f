package dev.mmcheck.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmcheck.scenario.Catalog;
import dev.mmcheck.scenario.ScenarioProgram;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The learning before the search stops at its deadline: a big scenario's learning must not eat a
 * run's whole time budget (s000-munlock-exit pages=16 with --max-seconds 5 once took 41 s, all of
 * it learning). The learning after a restart starts on the path where the search was contradicted.
 */
class LearningTest {
    private static Execution learner() {
        Program p = ScenarioProgram.build(Catalog.builtin("s003-mremap-pmd"), "after").program;
        Resumer[] rs = Execution.resumers(p, null, true);
        Execution e = new Execution(p, Execution.roots(rs), rs);
        e.summary = new AccessSummary(p.threads().size(), 8);
        return e;
    }

    @Test
    void learningPastItsDeadlineLearnsNothing() {
        Execution e = learner();
        Learning.beforeSearch(e, System.nanoTime() - 1, () -> {});
        Learning.afterRestart(e, 1, null, System.nanoTime() - 1, () -> {});
        assertThat(e.summary.version()).isZero();
    }

    @Test
    void learningWithoutADeadlineLearns() {
        Execution e = learner();
        Learning.beforeSearch(e, Long.MAX_VALUE, () -> {});
        assertThat(e.summary.version()).isPositive();
    }

    /**
     * B writes y0, y1, y2 only if its reads of x saw A's writes 1..n one by one (the two in
     * lockstep), which neither the executions with one preemption nor random ones take. C reads the
     * y's: each read is taken alone while nobody is known to write its y, and one search after
     * another would learn one more of B's writes and start again.
     */
    static Program rarePath(int n, int ys) {
        Layout layout = new Layout();
        int x = layout.alloc("x");
        int[] y = new int[ys];
        for (int i = 0; i < ys; i++) {
            y[i] = layout.alloc("y" + i);
        }
        ThreadSpec a = new ThreadSpec("A", s -> {
            s.step(Toy.write(y[0], 0)); // so that C runs early in the search
            for (int v = 1; v <= n; v++) {
                s.step(Toy.write(x, v));
            }
        });
        ThreadSpec b = new ThreadSpec("B", s -> {
            for (int v = 1; v <= n; v++) {
                if (s.step(Toy.read(x)) != v) {
                    return;
                }
            }
            for (int slot : y) {
                s.step(Toy.write(slot, 1));
            }
        });
        ThreadSpec c = new ThreadSpec("C", s -> {
            for (int slot : y) {
                s.step(Toy.read(slot));
            }
        });
        return new Program(new Memory(layout), List.of(c, a, b), List.of(), List.of()); // C first: the search runs it first
    }

    @Test
    void theLearningAfterARestartStartsWhereTheSearchWasContradicted() {
        // The search finds the lockstep, learns B's write of y0 and starts again. Learning from the
        // start of the program would leave y1 and y2 for the search to find, a restart each (3 in all).
        Result r = new Explorer(rarePath(12, 3), Options.exhaustive()).run();
        assertThat(r.verdict()).isEqualTo(Verdict.VERIFIED);
        assertThat(r.stats().restarts()).isEqualTo(1);
    }
}
