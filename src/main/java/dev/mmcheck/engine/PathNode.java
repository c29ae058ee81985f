package dev.mmcheck.engine;

/**
 * A thread's local state, identified by the results its steps have returned so far (its history).
 * The nodes of one thread form a tree grown on demand; a node knows the thread's next step, so
 * after the first visit resuming a thread costs a lookup, not a re-run of its code.
 */
final class PathNode {
    final PathNode parent;
    final long result; // result of parent's step that led here
    final int depth;
    final long hash;

    Op op; // next step; null when finished or failed
    Violation failure; // set when the thread's code failed at this point
    String[] frames; // the code location of the next step, only when traced
    /** The locks the thread holds here ({@link Lockset}); set when an execution first reaches the node. */
    int[] held;
    /** {@link #held} with the lock the next step's guard waits for ({@link Op#guardLock}); made on first use. */
    int[] guardHeld;
    /**
     * The footprint of the lock-taking step that led here, if it was the same in every execution
     * so far ({@link #VARIES} if not; null when no lock was taken): what makes this thread's next
     * steps a transaction ({@code Explorer.transactionThread}). Changed under this node's monitor.
     */
    private volatile Footprint entry;
    /** Whether a decision relied on {@link #entry}. */
    private boolean entryUsed;
    static final Footprint VARIES = new Footprint(new int[0], new int[0]);

    private long[] keys = new long[0];
    private PathNode[] kids = new PathNode[0];

    PathNode(PathNode parent, long result) {
        this.parent = parent;
        this.result = result;
        this.depth = parent == null ? 0 : parent.depth + 1;
        this.hash = parent == null ? 0x2545f4914f6cdd1dL : Hash.mix(parent.hash * 31 + Hash.mix(result));
    }

    /** Records the footprint of the lock-taking step that led here; true if that changes an entry a decision relied on. */
    synchronized boolean noteEntry(Footprint f) {
        if (entry == null) {
            entry = f;
            return false;
        }
        if (entry == VARIES || entry.equals(f)) {
            return false;
        }
        entry = VARIES;
        return entryUsed;
    }

    Footprint entry() {
        return entry;
    }

    /** Marks {@code e} as relied on; false if it is no longer the entry. */
    synchronized boolean use(Footprint e) {
        if (entry != e) {
            return false;
        }
        entryUsed = true;
        return true;
    }

    boolean finished() {
        return op == null;
    }

    synchronized PathNode child(long r) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] == r) {
                return kids[i];
            }
        }
        return null;
    }

    synchronized PathNode addChild(PathNode c) {
        PathNode existing = child(c.result);
        if (existing != null) {
            return existing;
        }
        keys = java.util.Arrays.copyOf(keys, keys.length + 1);
        kids = java.util.Arrays.copyOf(kids, kids.length + 1);
        keys[keys.length - 1] = c.result;
        kids[kids.length - 1] = c;
        return c;
    }

    long[] history() {
        long[] h = new long[depth];
        PathNode n = this;
        for (int i = depth - 1; i >= 0; i--) {
            h[i] = n.result;
            n = n.parent;
        }
        return h;
    }
}
