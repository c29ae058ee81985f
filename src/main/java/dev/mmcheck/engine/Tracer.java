package dev.mmcheck.engine;

import java.util.ArrayList;
import java.util.List;

/** Re-runs a schedule step by step and records what each step did: the raw material of a report. */
public final class Tracer {
    private Tracer() {}

    /** One step of a trace. {@code frames}: the model's functions the step was taken in, innermost last. */
    public record Step(int thread, String threadName, String what, String[] frames, boolean preemption) {}

    /**
     * A replayed execution. {@code violation} is what the schedule ends in (null if nothing);
     * {@code error} is set when the schedule cannot be replayed on this program (it is then partial).
     */
    /** {@code unfinished}: the threads that could still run when the schedule ran out (0 for a whole execution). */
    public record Trace(List<Step> steps, Violation violation, int preemptions, String error, Memory finalMemory, long unfinished) {}

    public static Trace replay(Program program, Schedule schedule, FrameNamer namer) {
        Resumer[] rs = Execution.resumers(program, namer);
        Execution ex = new Execution(program, Execution.roots(rs), rs);
        List<Step> steps = new ArrayList<>();
        Violation v = ex.initialViolation();
        int[] choices = schedule.choices();
        for (int i = 0; i < choices.length && v == null; i++) {
            int t = choices[i];
            if (t < 0 || t >= ex.n) {
                return new Trace(steps, null, ex.preemptions, "step " + (i + 1) + " names thread " + t
                        + ", but the program has " + ex.n + " threads", ex.mem, 0L);
            }
            PathNode node = ex.nodes[t];
            String name = program.threads().get(t).name();
            if (node.op == null) {
                return new Trace(steps, null, ex.preemptions, "step " + (i + 1) + ": thread " + name
                        + " has already finished", ex.mem, 0L);
            }
            long enabled = ex.enabledMask();
            if ((enabled & (1L << t)) == 0) {
                return new Trace(steps, null, ex.preemptions, "step " + (i + 1) + ": thread " + name
                        + " is blocked in " + node.op.waitsFor(), ex.mem, 0L);
            }
            boolean preempt = ex.preempts(t, enabled);
            String[] frames = node.frames;
            v = ex.step(t, enabled);
            long result = ex.lastResult;
            steps.add(new Step(t, name, node.op.describe(result), frames, preempt));
            if (v == null && ex.nodes[t].failure != null) {
                v = ex.nodes[t].failure;
            }
        }
        if (v != null) {
            PathNode[] nodes = ex.nodes;
            for (int t = 0; t < nodes.length; t++) {
                if (nodes[t].failure != null && nodes[t].failure == v) {
                    steps.add(new Step(t, program.threads().get(t).name(), v.kind() + ": " + v.message(),
                            nodes[t].frames, false));
                }
            }
        } else if (ex.enabledMask() == 0) {
            v = ex.aliveMask() != 0 ? ex.deadlock() : ex.check(program.finalChecks());
        }
        return new Trace(steps, v, ex.preemptions, null, ex.mem, v == null ? ex.enabledMask() : 0L);
    }
}
