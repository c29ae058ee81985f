package dev.mmcheck.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmcheck.scenario.Catalog;
import dev.mmcheck.scenario.ScenarioProgram;
import org.junit.jupiter.api.Test;

/**
 * The learning before the search stops at its deadline: a big scenario's learning must not eat a
 * run's whole time budget (s000-munlock-exit pages=16 with --max-seconds 5 once took 41 s, all of
 * it learning).
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
        Learning.beforeSearch(e, 0, System.nanoTime() - 1, () -> {});
        Learning.afterRestart(e, 1, System.nanoTime() - 1, () -> {});
        assertThat(e.summary.version()).isZero();
    }

    @Test
    void learningWithoutADeadlineLearns() {
        Execution e = learner();
        Learning.beforeSearch(e, 0, Long.MAX_VALUE, () -> {});
        assertThat(e.summary.version()).isPositive();
    }
}
