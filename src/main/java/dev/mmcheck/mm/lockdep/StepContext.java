package dev.mmcheck.mm.lockdep;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.mm.KStep;

/**
 * What lockdep knows of one step when the thread reached it: the locks the thread held then
 * (exactly what it holds whenever the step runs, since a thread's code depends only on its own
 * history), and the dependencies the step adds that had not been seen yet.
 */
public final class StepContext {
    final Lockdep lockdep;
    final Held[] held;
    /** Index of the thread, or -1 during set-up. */
    final int thread;
    /** Dependency keys this step records when it runs (null: none new when it was created). */
    final long[] edges;
    final Witness witness;

    StepContext(Lockdep lockdep, Held[] held, int thread, long[] edges, Witness witness) {
        this.lockdep = lockdep;
        this.held = held;
        this.thread = thread;
        this.edges = edges;
        this.witness = witness;
    }

    /** Called by the step after its effect ran; {@code mark} is {@link Memory#changeMark} from before. */
    public void ran(KStep op, Memory m, int mark, long result) {
        if (edges != null) {
            lockdep.observe(edges, witness);
        }
        lockdep.checkWrites(this, op, m, mark, result);
    }
}
