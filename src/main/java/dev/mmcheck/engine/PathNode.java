package dev.mmcheck.engine;

/**
 * A thread's local state, identified by the results its steps have returned so far (its history).
 * The nodes of one thread form a tree grown on demand; a node knows the thread's next step, so
 * after the first visit resuming a thread costs a lookup, not a re-run of its code.
 *
 * <p>Where a summarized call returns ({@link Steps#endCall}), what happened inside it is forgotten:
 * every history that reaches the return with the same state before the call, the same call and the
 * same result leads to one node. The tree becomes a graph; such a node keeps the first of its
 * histories, to re-run the code along ({@link Resumer}).
 */
final class PathNode {
    final PathNode parent; // the node this one's kept history was reached from
    final long result; // result of parent's step that led here
    /** Steps in the history kept ({@link #history}). */
    final int steps;
    /**
     * Where the thread is in its code, growing along every history and the same for every history
     * that leads here (so what a thread did at a smaller depth is its past): one per step, and a
     * summarized call counts as a fixed stride, whatever it did inside ({@link Resumer}).
     */
    final long depth;
    /** The local state: the history, with each summarized call that returned as its key and result. */
    final long hash;
    /** Whether this is the node right after a summarized call returned, which histories share. */
    final boolean afterCall;

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

    /**
     * The last access of this node's step the summary was found to know (its slots, the locks held
     * and the takings): the summary only grows, so the same access from here is known for ever and
     * need not be looked up again (most steps repeat the access of their last run).
     */
    private Known known;
    /** The footprint this node's step made when last run, for {@link Memory#footprint(Footprint)} to reuse. */
    Footprint lastFootprint;
    // What this node's step said about locks when last run (Memory#lockEvents), the locks held
    // after it, and those held during it (before and after together): the same step mostly says
    // the same, and working them out again allocated a lockset each time.
    private int[] lockEvents;
    int[] lockEventsAfter;
    private int[] heldDuring;

    /** Whether the step said the same about locks as when last noted ({@link #noteLockEvents}). */
    boolean sameLockEvents(it.unimi.dsi.fastutil.ints.IntArrayList events) {
        int[] e = lockEvents;
        return e != null && Memory.same(events, e);
    }

    void noteLockEvents(it.unimi.dsi.fastutil.ints.IntArrayList events, int[] after) {
        if (lockEventsAfter != after) {
            lockEvents = events.toIntArray();
            lockEventsAfter = after;
            heldDuring = null;
        }
    }

    /** The locks held during the step: those held before it and {@code after} together. */
    int[] heldDuringStep(int[] after) {
        if (after == lockEventsAfter) {
            if (heldDuring == null) {
                heldDuring = Lockset.union(held, after);
            }
            return heldDuring;
        }
        return Lockset.union(held, after);
    }

    private record Known(int[] reads, int[] writes, int[] held, Taken taken) {}

    private long[] keys = new long[0];
    private PathNode[] kids = new PathNode[0];
    // In a root: the node after each summarized return reached so far, by (hash, depth).
    private java.util.Map<After, PathNode> afterCalls;

    private record After(long hash, long depth) {}

    PathNode(PathNode parent, long result, long depth, long hash, boolean afterCall) {
        this.parent = parent;
        this.result = result;
        this.steps = parent == null ? 0 : parent.steps + 1;
        this.depth = depth;
        this.hash = hash;
        this.afterCall = afterCall;
    }

    /** In a root: the node after a summarized return that {@code n} stands for; {@code n} if it is the first. */
    synchronized PathNode afterCall(PathNode n) {
        if (afterCalls == null) {
            afterCalls = new java.util.HashMap<>();
        }
        PathNode known = afterCalls.putIfAbsent(new After(n.hash, n.depth), n);
        return known == null ? n : known;
    }

    /** Whether the summary is known to cover the access {@code f} of this node's step, holding {@code held}, having taken {@code taken}. */
    boolean known(Footprint f, int[] held, Taken taken) {
        Known k = known;
        // Having taken more (taken) than when it was known (k.taken) only adds barriers: still known.
        return k != null && (k.taken == taken || k.taken.within(taken)) && java.util.Arrays.equals(k.reads, f.readSet())
                && java.util.Arrays.equals(k.writes, f.writeSet()) && java.util.Arrays.equals(k.held, held);
    }

    /** The summary covers that access now ({@link #known}). */
    void know(Footprint f, int[] held, Taken taken) {
        known = new Known(f.readSet(), f.writeSet(), held, taken);
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

    /** Makes {@code c} the node reached when the next step returns {@code r}, unless there is one already: returns the one that is. */
    synchronized PathNode addChild(long r, PathNode c) {
        PathNode existing = child(r);
        if (existing != null) {
            return existing;
        }
        keys = java.util.Arrays.copyOf(keys, keys.length + 1);
        kids = java.util.Arrays.copyOf(kids, kids.length + 1);
        keys[keys.length - 1] = r;
        kids[kids.length - 1] = c;
        return c;
    }

    long[] history() {
        long[] h = new long[steps];
        PathNode n = this;
        for (int i = steps - 1; i >= 0; i--) {
            h[i] = n.result;
            n = n.parent;
        }
        return h;
    }
}
