package dev.mmcheck.engine;

import dev.mmcheck.bench.BenchSettings;
import dev.mmcheck.scenario.Catalog;
import dev.mmcheck.scenario.ScenarioProgram;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;

/**
 * The explorer's two innermost costs, apart from the visited table ({@link VisitedSetBench}): a
 * scheduling step, run and undone from a state inside s003-mremap-pmd (each CPU a few steps along;
 * the node after the step already known, as for nearly every step of a search), and keeping the
 * state's fingerprint up to date, one write and its rollback. Run with scripts/jmh.
 */
public class StepBench extends BenchSettings {
    private Execution ex;
    private int thread;
    private long enabled;
    private Memory mem;
    private long value;

    @Setup(Level.Trial)
    public void setup() {
        Program p = ScenarioProgram.build(Catalog.builtin("s003-mremap-pmd"), "after").program;
        Resumer[] rs = Execution.resumers(p, null, true);
        ex = new Execution(p, Execution.roots(rs), rs);
        // Into the race: the CPUs take turns, a step each, while they can.
        for (int i = 0; i < 24; i++) {
            long en = ex.enabledMask();
            int t = i % ex.n;
            if ((en & (1L << t)) != 0 && ex.step(t, en) != null) {
                throw new IllegalStateException("s003-mremap-pmd after failed while setting up");
            }
        }
        enabled = ex.enabledMask();
        if (enabled == 0) {
            throw new IllegalStateException("no CPU can go on");
        }
        thread = Long.numberOfTrailingZeros(enabled);
        ex.step(thread, enabled); // the node after the step is known from here on
        ex.undo();
        mem = new Memory(new Layout());
    }

    /** One step of a CPU, the state's key, and the step undone: what the explorer does at every branch. */
    @Benchmark
    public long stepAndUndo() {
        ex.step(thread, enabled);
        long key = ex.key(false);
        ex.undo();
        return key;
    }

    /** One write inside a step, with the fingerprint updated, and its rollback. */
    @Benchmark
    public long writeAndRollback() {
        int mark = mem.mark();
        mem.beginStep();
        mem.write(3, ++value);
        long f = mem.fingerprint();
        mem.rollback(mark);
        return f;
    }
}
