package dev.mmcheck.engine;

/**
 * Resumes a thread by re-running its code from the start, answering its first steps from its
 * history, and stopping at the first step not yet taken. This is how plain Java methods become
 * coroutines that can be forked and rewound: the code itself carries no state between runs.
 *
 * <p>When merging, the run also works out the node's local state: the history, except that a
 * summarized call ({@link Steps#beginCall}) that has returned counts as its key and result only.
 * Its depth: one per step; a summarized call begun at nesting level L counts as {@code 2^(56-8L)}
 * however many steps it took, provided it took fewer (else it is not summarized), so depths grow
 * along every history and each node has one.
 */
final class Resumer implements Steps {
    private static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

    private static final Stop STOP = new Stop();
    private static final long ROOT_HASH = 0x2545f4914f6cdd1dL;
    /** Nesting levels of summarized calls; deeper calls are not summarized (their stride would be below one step). */
    private static final int LEVELS = 8;

    private final ThreadSpec spec;
    private final int index;
    private final FrameNamer namer;
    private final boolean merge;
    private PathNode root;
    private long[] history;
    private int pos;
    private Op captured;
    private Violation failed;
    private String[] frames;
    // The local state as the run has it so far (see the class comment), and the summarized calls open.
    private long hash;
    private long depth;
    private long[] openHash = new long[LEVELS];
    private long[] openDepth = new long[LEVELS];
    private long[] openKey = new long[LEVELS];
    private int open;
    private int unsummarized; // calls begun deeper than LEVELS, not summarized
    /** Whether a summarized call returned after the history's last step (the node is one histories share). */
    private boolean returnedAtEnd;

    /** {@code merge}: summarized calls are forgotten once they return ({@link PathNode#afterCall}). */
    Resumer(ThreadSpec spec, int index, FrameNamer namer, boolean merge) {
        this.spec = spec;
        this.index = index;
        this.namer = namer;
        this.merge = merge;
    }

    /** The node reached from {@code node} when its step returned {@code r}. */
    PathNode next(PathNode node, long r) {
        PathNode c = node.child(r);
        if (c != null) {
            return c;
        }
        long[] h = java.util.Arrays.copyOf(node.history(), node.steps + 1);
        h[node.steps] = r;
        c = fill(node, r, h);
        if (c.afterCall) {
            c = root.afterCall(c);
        }
        return node.addChild(r, c);
    }

    PathNode root() {
        root = fill(null, 0, new long[0]);
        root.held = Lockset.EMPTY;
        return root;
    }

    /** Runs the code along {@code h} to its next step: the node {@code h} leads to, first reached from {@code parent}. */
    private PathNode fill(PathNode parent, long r, long[] h) {
        history = h;
        pos = 0;
        captured = null;
        failed = null;
        frames = null;
        hash = ROOT_HASH;
        depth = 0;
        open = 0;
        unsummarized = 0;
        returnedAtEnd = false;
        try {
            spec.body().run(this);
        } catch (Stop s) {
            // reached the next step (or a failure)
        } catch (RuntimeException | StackOverflowError e) {
            throw new ModelError("thread " + spec.name() + " threw " + e + " after " + h.length + " steps", e);
        }
        if (pos < history.length) {
            throw new ModelError("thread " + spec.name() + " is not deterministic: it finished after "
                    + pos + " of the " + history.length + " steps it took before", null);
        }
        PathNode n = new PathNode(parent, r, depth, hash, returnedAtEnd);
        n.op = captured;
        n.failure = failed;
        n.frames = frames;
        return n;
    }

    @Override
    public long step(Op op) {
        if (pos < history.length) {
            long r = history[pos++];
            hash = Hash.mix(hash * 31 + Hash.mix(r));
            depth++;
            returnedAtEnd = false;
            return r;
        }
        captured = op;
        if (namer != null) {
            frames = namer.frames();
        }
        throw STOP;
    }

    @Override
    public void fail(String kind, String message) {
        if (pos < history.length) {
            throw new ModelError("thread " + spec.name() + " is not deterministic: it failed during replay", null);
        }
        failed = new Violation(kind, message);
        if (namer != null) {
            frames = namer.frames();
        }
        throw STOP;
    }

    @Override
    public void beginCall(long key) {
        if (!merge) {
            return;
        }
        if (open == LEVELS || unsummarized > 0) {
            unsummarized++;
            return;
        }
        openHash[open] = hash;
        openDepth[open] = depth;
        openKey[open] = key;
        open++;
    }

    @Override
    public void endCall(long result) {
        if (!merge) {
            return;
        }
        if (unsummarized > 0) {
            unsummarized--;
            return;
        }
        if (open == 0) {
            throw new ModelError("thread " + spec.name() + " ended a summarized call it had not begun", null);
        }
        open--;
        long stride = 1L << (56 - 8 * open);
        long d0 = openDepth[open];
        if (depth - d0 >= stride || d0 > Long.MAX_VALUE - stride) {
            return; // too long to count as one stride: the history stays whole
        }
        // The level too: calls nested with no step between them begin in the same state.
        hash = Hash.mix(Hash.mix(openHash[open] ^ Hash.mix(openKey[open] + 0x3c6ef372fe94f82aL)) + Hash.mix(result) + open);
        depth = d0 + stride;
        returnedAtEnd = true;
    }

    @Override
    public int self() {
        return index;
    }
}
