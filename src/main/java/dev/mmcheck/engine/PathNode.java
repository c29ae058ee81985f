package dev.mmcheck.engine;

/**
 * A thread's local state, identified by the results its steps have returned so far (its history).
 * The nodes of one thread form a tree grown on demand; a node knows the thread's next step, so
 * after the first visit resuming a thread costs a lookup, not a re-run of its code.
 *
 * <p>Where the thread's code says its history is done with ({@link Steps#boundary}), every history
 * that reaches that point with the same key leads to one node: the tree becomes a graph, and the
 * node keeps the first of those histories, to re-run the code along.
 */
final class PathNode {
    /** Steps between two boundaries are fewer than this (an execution's limit), so depths grow along every history. */
    static final int STRIDE = 1 << 21;
    /** Boundaries past this many leave the history whole (depths stay within an int). */
    static final int MAX_BOUNDARIES = Integer.MAX_VALUE / STRIDE - 2;

    final PathNode parent; // the node this one's history was first reached from
    final long result; // result of parent's step that led here
    /** Where the thread is in its code: steps since its last boundary, past {@code STRIDE} per boundary. Grows along every history. */
    final int depth;
    /** Steps in the history kept ({@link #history}). */
    final int steps;
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
        this.steps = parent == null ? 0 : parent.steps + 1;
        this.hash = parent == null ? 0x2545f4914f6cdd1dL : Hash.mix(parent.hash * 31 + Hash.mix(result));
    }

    /** The node after the {@code boundaries}-th boundary with {@code key}, first reached from {@code parent} by {@code result}. */
    PathNode(PathNode parent, long result, int boundaries, long key) {
        this.parent = parent;
        this.result = result;
        this.depth = boundaries * STRIDE;
        this.steps = parent.steps + 1;
        this.hash = Hash.mix(Hash.mix(key + 0x3c6ef372fe94f82aL) + boundaries);
    }

    private record Boundary(int count, long key) {}

    // Per thread, in its root: the node after each (boundary count, key) reached so far.
    private java.util.Map<Boundary, PathNode> boundaryNodes;

    /** In a root: the node after the {@code count}-th boundary with {@code key}; {@code n} if none was reached before. */
    synchronized PathNode atBoundary(int count, long key, PathNode n) {
        if (boundaryNodes == null) {
            boundaryNodes = new java.util.HashMap<>();
        }
        PathNode known = boundaryNodes.putIfAbsent(new Boundary(count, key), n);
        return known == null ? n : known;
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

    /** Whether this node is the point just after a boundary, which histories share. */
    boolean atBoundary() {
        return parent != null && depth % STRIDE == 0;
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
