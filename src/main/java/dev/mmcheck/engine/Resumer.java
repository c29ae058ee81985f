package dev.mmcheck.engine;

/**
 * Resumes a thread by re-running its code from the start, answering its first steps from its
 * history, and stopping at the first step not yet taken. This is how plain Java methods become
 * coroutines that can be forked and rewound: the code itself carries no state between runs.
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
    private long[] history;
    private int pos;
    private Op captured;
    private Violation failed;
    private String[] frames;

    Resumer(ThreadSpec spec, int index, FrameNamer namer) {
        this.spec = spec;
        this.index = index;
        this.namer = namer;
    }

    /** The node reached from {@code node} when its step returned {@code r}. */
    PathNode next(PathNode node, long r) {
        PathNode c = node.child(r);
        if (c != null) {
            return c;
        }
        c = new PathNode(node, r);
        fill(c);
        return node.addChild(c);
    }

    PathNode root() {
        PathNode root = new PathNode(null, 0);
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
        try {
            spec.body().run(this);
        } catch (Stop s) {
            // reached the next step (or a failure)
        } catch (RuntimeException | StackOverflowError e) {
            throw new ModelError("thread " + spec.name() + " threw " + e + " after " + n.depth + " steps", e);
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
    public int self() {
        return index;
    }
}
