package dev.mmcheck.mm.lockdep;

/**
 * The first acquisition that showed a dependency: which thread ({@code -1}: the set-up), its history
 * up to the acquiring step (so the kernel functions of both acquisitions can be found later by
 * re-running the thread's code, see {@link Chains}), the locks it held and the lock it took.
 */
public record Witness(Lockdep origin, int thread, long[] history, Held[] held, Acquisition taken, String[] setupFrames) {

    /** "CPU1 reclaim0", or "set-up". */
    public String who() {
        return origin.threadName(thread);
    }

    /** The held lock of this class (the outermost one, if several). */
    public Held heldOf(LockClass c) {
        for (Held h : held) {
            if (h.cls() == c) {
                return h;
            }
        }
        return null;
    }
}
