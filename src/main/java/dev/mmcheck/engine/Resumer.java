package dev.mmcheck.engine;

/**
 * Resumes a thread by re-running its code from the start, answering its first steps from its
 * history, and stopping at the first step not yet taken. This is how plain Java methods become
 * coroutines that can be forked and rewound: the code itself carries no state between runs.
 *
 * <p>When merging, a thread that reaches a {@link #boundary} right after a step goes to the one
 * node all histories share there, so states that differ only in what a finished system call
 * learned are one state.
 */
final class Resumer implements Steps {
    private static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

    private static final Stop STOP = new Stop();

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
    /** Boundaries the code crossed in the last run; whether the last came after the history's last step, and its key. */
    private int boundaries;
    private boolean boundaryAtEnd;
    private long boundaryKey;

    /** {@code merge}: histories meet at boundaries ({@link PathNode#atBoundary}). */
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
        c = new PathNode(node, r);
        fill(c);
        if (boundaryAtEnd) {
            PathNode b = new PathNode(node, r, boundaries, boundaryKey);
            b.op = c.op;
            b.failure = c.failure;
            b.frames = c.frames;
            c = root.atBoundary(boundaries, boundaryKey, b);
        }
        return node.addChild(r, c);
    }

    PathNode root() {
        root = new PathNode(null, 0);
        root.held = Lockset.EMPTY;
        fill(root);
        return root;
    }

    private void fill(PathNode n) {
        history = n.history();
        pos = 0;
        captured = null;
        failed = null;
        frames = null;
        boundaries = 0;
        boundaryAtEnd = false;
        try {
            spec.body().run(this);
        } catch (Stop s) {
            // reached the next step (or a failure)
        } catch (RuntimeException | StackOverflowError e) {
            throw new ModelError("thread " + spec.name() + " threw " + e + " after " + n.steps + " steps", e);
        }
        if (pos < history.length) {
            throw new ModelError("thread " + spec.name() + " is not deterministic: it finished after "
                    + pos + " of the " + history.length + " steps it took before", null);
        }
        n.op = captured;
        n.failure = failed;
        n.frames = frames;
    }

    @Override
    public long step(Op op) {
        if (pos < history.length) {
            return history[pos++];
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
    public void boundary(long key) {
        if (!merge || boundaries == PathNode.MAX_BOUNDARIES) {
            return;
        }
        boundaries++;
        boundaryAtEnd = pos == history.length;
        boundaryKey = key;
    }

    @Override
    public int self() {
        return index;
    }
}
