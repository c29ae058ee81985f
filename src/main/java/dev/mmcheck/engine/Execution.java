package dev.mmcheck.engine;

import java.util.List;

/**
 * One execution in progress: the shared memory, each thread's position in its code, and the
 * bookkeeping needed to step forward and back. The explorer, the random walker and the tracer
 * all drive the program through this class.
 */
final class Execution {
    final Program program;
    final Memory mem;
    final Resumer[] resumers;
    final PathNode[] nodes;
    final int n;
    long threadHash;
    int last = -1;
    int preemptions;

    private static final int MAX_DEPTH = 1 << 20;
    private int[] path = new int[256];
    private int[] marks = new int[256];
    private PathNode[] prevNodes = new PathNode[256];
    private int[] prevLast = new int[256];
    private int[] prevPreemptions = new int[256];
    private int[] prevStepAt = new int[256];
    private Taken[] prevTaken = new Taken[256];
    /** Per thread, the locks it took on this execution's path and where ({@link Taken}); kept only with a summary. */
    private final Taken[] taken;
    /** Per thread, the depth of the state its last step was taken from; -1 before its first. */
    final int[] lastStepAt;
    int depth;

    /** Footprint and result of the last {@link #step}. */
    Footprint lastFootprint;
    long lastResult;

    /** Learns every step's footprint and the step checks' reads, when local steps are on; else null. */
    AccessSummary summary;

    Execution(Program program, PathNode[] roots, Resumer[] resumers) {
        this.program = program;
        this.mem = program.initial().copy();
        this.mem.commit();
        this.n = program.threads().size();
        this.resumers = resumers;
        this.nodes = roots.clone();
        this.lastStepAt = new int[n];
        this.taken = new Taken[n];
        java.util.Arrays.fill(taken, Taken.NONE);
        java.util.Arrays.fill(lastStepAt, -1);
        for (int t = 0; t < n; t++) {
            threadHash ^= Hash.thread(t, nodes[t].hash);
        }
    }

    static Resumer[] resumers(Program p, FrameNamer namer) {
        return resumers(p, namer, false);
    }

    /** {@code merge}: what a summarized call did inside is forgotten once it returns ({@link Steps#beginCall}). */
    static Resumer[] resumers(Program p, FrameNamer namer, boolean merge) {
        List<ThreadSpec> ts = p.threads();
        Resumer[] rs = new Resumer[ts.size()];
        for (int i = 0; i < rs.length; i++) {
            rs[i] = new Resumer(ts.get(i), i, namer, merge);
        }
        return rs;
    }

    static PathNode[] roots(Resumer[] rs) {
        PathNode[] roots = new PathNode[rs.length];
        for (int i = 0; i < rs.length; i++) {
            roots[i] = rs[i].root();
        }
        return roots;
    }

    /** The memory's mark before the step taken last ({@link Memory#valueAt}). */
    int lastStepMark() {
        return marks[depth - 1];
    }

    /** The node thread {@code t} took its last step from, null before its first. */
    PathNode from(int t) {
        return lastStepAt[t] < 0 ? null : prevNodes[lastStepAt[t]];
    }

    /** Where each thread is: its depth in its code ({@link PathNode#depth}) and the locks its path took, in {@code into}. */
    Where where(Where into) {
        for (int t = 0; t < n; t++) {
            into.depths[t] = nodes[t].depth;
            into.taken[t] = taken[t];
        }
        return into;
    }

    long aliveMask() {
        long m = 0;
        for (int t = 0; t < n; t++) {
            if (nodes[t].op != null) {
                m |= 1L << t;
            }
        }
        return m;
    }

    long enabledMask() {
        long m = 0;
        for (int t = 0; t < n; t++) {
            Op op = nodes[t].op;
            if (op != null && enabled(t, op)) {
                m |= 1L << t;
            }
        }
        return m;
    }

    /** Whether {@code op} can run now; what its guard reads is learned too: a waiting thread reads the lock it waits for. */
    private boolean enabled(int t, Op op) {
        if (summary == null) {
            return op.enabled(mem);
        }
        mem.beginGuard();
        boolean e = op.enabled(mem);
        summary.learnReads(t, mem.guardReads(), guardHeld(nodes[t]), nodes[t].depth, taken[t]);
        if (nodes[t].held.length > 0 && !mem.guardReads().isEmpty()) {
            summary.learnWaits(t, nodes[t].held); // it may wait here, holding them
        }
        return e;
    }

    /** The locks a guard's reads are made under: those held, and the lock the step takes when the guard lets it. */
    private static int[] guardHeld(PathNode node) {
        int[] g = node.guardHeld;
        if (g == null) {
            int lock = node.op.guardLock();
            g = lock < 0 || Lockset.find(node.held, lock) >= 0 ? node.held : Lockset.with(node.held, lock, node.op.guardLockShared());
            node.guardHeld = g;
        }
        return g;
    }

    /** What the guard of thread {@code t}'s next step reads now, as a footprint of reads. */
    Footprint guardFootprint(int t) {
        return new Footprint(guardReads(t).toIntArray(), new int[0]);
    }

    /** Whether thread {@code t}'s next step can never wait: its guard reads nothing. */
    boolean neverWaits(int t) {
        return guardReads(t).isEmpty();
    }

    /** The slots the guard of thread {@code t}'s next step reads now; valid until the next step or guard. */
    private it.unimi.dsi.fastutil.ints.IntArrayList guardReads(int t) {
        mem.beginGuard();
        nodes[t].op.enabled(mem);
        return mem.guardReads();
    }

    /** Whether running {@code t} now would preempt the thread that ran last. */
    boolean preempts(int t, long enabled) {
        return last >= 0 && t != last && (enabled & (1L << last)) != 0;
    }

    /** Runs thread {@code t}'s next step. Returns a violation it caused, or null. */
    Violation step(int t, long enabled) {
        if (depth == path.length) {
            if (depth == MAX_DEPTH) {
                throw new ModelError("an execution exceeded " + MAX_DEPTH + " steps", null);
            }
            int n2 = path.length * 2;
            path = java.util.Arrays.copyOf(path, n2);
            marks = java.util.Arrays.copyOf(marks, n2);
            prevNodes = java.util.Arrays.copyOf(prevNodes, n2);
            prevLast = java.util.Arrays.copyOf(prevLast, n2);
            prevPreemptions = java.util.Arrays.copyOf(prevPreemptions, n2);
            prevStepAt = java.util.Arrays.copyOf(prevStepAt, n2);
            prevTaken = java.util.Arrays.copyOf(prevTaken, n2);
        }
        marks[depth] = mem.mark();
        prevNodes[depth] = nodes[t];
        prevLast[depth] = last;
        prevPreemptions[depth] = preemptions;
        prevStepAt[depth] = lastStepAt[t];
        prevTaken[depth] = taken[t];
        lastStepAt[t] = depth;
        path[depth] = t;
        depth++;
        if (preempts(t, enabled)) {
            preemptions++;
        }
        last = t;
        PathNode node = nodes[t];
        mem.beginStep();
        // What made the step possible is part of what it read: a step that could change whether it
        // can run does not commute with it (sleep sets need this as much as local steps).
        node.op.enabled(mem);
        long r = node.op.run(mem);
        lastResult = r;
        lastFootprint = mem.footprint(node.lastFootprint);
        node.lastFootprint = lastFootprint;
        Violation v = mem.takeViolation();
        int[] after = heldAfter(t, node, v != null);
        if (summary != null) {
            if (summary.barriers()) {
                taken[t] = takenAfter(taken[t], node.depth);
            }
            // A step is made under the locks held before it and those it takes (nobody can be inside them).
            int[] held = after == node.held ? after : node.heldDuringStep(after);
            if (!node.known(lastFootprint, held, taken[t])) {
                summary.learn(t, lastFootprint, held, node.depth, taken[t]);
                node.know(lastFootprint, held, taken[t]);
            }
        }
        if (v != null) {
            // The execution ends at this step: the thread's code is not asked what it would do with the result.
            return v;
        }
        PathNode next = resumers[t].next(node, r);
        if (next.held == null) {
            next.held = after;
        } else if (next.held != after && !java.util.Arrays.equals(next.held, after)) {
            throw lockError(t, node, next.afterCall ? "returned from a summarized call holding other locks than in another execution"
                    : "holds different locks after the same step with the same result");
        }
        if (summary != null && node.op.guardLock() >= 0 && next.noteEntry(lastFootprint)) {
            summary.contradict();
        }
        if (summary != null && next.op == null && after.length > 0) {
            summary.learnWaits(t, after); // it ended holding them
        }
        threadHash ^= Hash.thread(t, node.hash) ^ Hash.thread(t, next.hash);
        nodes[t] = next;
        if (v == null) {
            v = next.failure;
        }
        if (v == null) {
            v = checkStep();
        }
        return v;
    }

    /**
     * The locks thread {@code t} holds after the step it just ran from {@code node}, checking what
     * the step said about locks: a lock is taken only when no other thread holds it in a way that
     * excludes it, released only by a thread that holds it, and a step whose guard waits for a lock
     * takes that lock. (That the same step with the same result always does the same is checked
     * against the node the step leads to.) A step that broke a rule of the model ({@code broke})
     * ends the execution; what it says about locks is taken as far as it makes sense.
     */
    private int[] heldAfter(int t, PathNode node, boolean broke) {
        it.unimi.dsi.fastutil.ints.IntArrayList events = mem.lockEvents();
        if (!broke && node.sameLockEvents(events)) {
            // The same step from the same node said the same about locks before: the same locks
            // after, and the same rules kept, but for what depends on the other threads.
            noOtherHolds(t, node, events);
            return node.lockEventsAfter;
        }
        int[] held = node.held;
        int guardLock = node.op.guardLock();
        boolean tookGuardLock = guardLock < 0;
        for (int i = 0; i < events.size(); i++) {
            int ev = events.getInt(i);
            int slot = ev >>> 2;
            if ((ev & 2) != 0) {
                int[] fewer = Lockset.without(held, slot);
                if (fewer == null && !broke) {
                    throw lockError(t, node, "released " + mem.layout().name(slot) + ", which it does not hold");
                }
                held = fewer == null ? held : fewer;
                continue;
            }
            boolean shared = (ev & 1) != 0;
            if (Lockset.find(held, slot) >= 0) {
                if (broke) {
                    continue;
                }
                throw lockError(t, node, "took " + mem.layout().name(slot) + ", which it already holds");
            }
            if (!broke) {
                noOtherHolds(t, node, ev);
            }
            tookGuardLock |= slot == guardLock && shared == node.op.guardLockShared();
            held = Lockset.with(held, slot, shared);
        }
        if (!tookGuardLock && !broke) {
            throw lockError(t, node, "waited for " + mem.layout().name(guardLock) + " but did not take it");
        }
        if (!broke) {
            node.noteLockEvents(events, held);
        }
        return held;
    }

    /** Checks that no other thread holds a lock that the takings among {@code events} exclude. */
    private void noOtherHolds(int t, PathNode node, it.unimi.dsi.fastutil.ints.IntArrayList events) {
        for (int i = 0; i < events.size(); i++) {
            int ev = events.getInt(i);
            if ((ev & 2) == 0) {
                noOtherHolds(t, node, ev);
            }
        }
    }

    private void noOtherHolds(int t, PathNode node, int taking) {
        int mine = Lockset.entry(taking >>> 2, (taking & 1) != 0);
        for (int u = 0; u < n; u++) {
            if (u != t && Lockset.excludes(nodes[u].held, mine)) {
                throw lockError(t, node, "took " + mem.layout().name(taking >>> 2) + " while "
                        + program.threads().get(u).name() + " holds it");
            }
        }
    }

    /** {@code before} with the locks the step just run took, at {@code depth}. */
    private Taken takenAfter(Taken before, long depth) {
        it.unimi.dsi.fastutil.ints.IntArrayList events = mem.lockEvents();
        Taken out = before;
        for (int i = 0; i < events.size(); i++) {
            int ev = events.getInt(i);
            if ((ev & 2) == 0) {
                out = out.with(ev >>> 2, (ev & 1) != 0, depth);
            }
        }
        return out;
    }

    private ModelError lockError(int t, PathNode node, String what) {
        return new ModelError("thread " + program.threads().get(t).name() + " " + what + " (at "
                + node.op.describe(lastResult) + ")", null);
    }

    /** The step checks, learning what they read. */
    private Violation checkStep() {
        List<Program.Check> checks = program.stepChecks();
        if (checks.isEmpty()) {
            return null;
        }
        if (summary == null) {
            return check(checks);
        }
        mem.logPeeks(true);
        Violation v = check(checks);
        summary.learnVisible(mem.peeked());
        mem.logPeeks(false);
        return v;
    }

    /** A violation of the initial state: a step check, or a thread whose code fails before its first step. */
    Violation initialViolation() {
        Violation v = checkStep();
        for (int t = 0; v == null && t < n; t++) {
            v = nodes[t].failure;
        }
        return v;
    }

    void undo() {
        depth--;
        int t = path[depth];
        mem.rollback(marks[depth]);
        PathNode cur = nodes[t];
        PathNode prev = prevNodes[depth];
        threadHash ^= Hash.thread(t, cur.hash) ^ Hash.thread(t, prev.hash);
        nodes[t] = prev;
        lastStepAt[t] = prevStepAt[depth];
        taken[t] = prevTaken[depth];
        last = prevLast[depth];
        preemptions = prevPreemptions[depth];
    }

    void reset() {
        while (depth > 0) {
            undo();
        }
    }

    Violation check(List<Program.Check> checks) {
        for (Program.Check c : checks) {
            Violation v = c.check(mem);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /** The violation of a state where no thread can move, or null if every thread finished. */
    Violation deadlock() {
        StringBuilder sb = new StringBuilder("every unfinished thread is blocked:");
        for (int t = 0; t < n; t++) {
            Op op = nodes[t].op;
            if (op != null) {
                sb.append(' ').append(program.threads().get(t).name()).append(" waits in ").append(op.waitsFor()).append(';');
            }
        }
        sb.setLength(sb.length() - 1);
        return new Violation(Violation.DEADLOCK, sb.toString());
    }

    Schedule schedule() {
        return new Schedule(java.util.Arrays.copyOf(path, depth));
    }

    long key(boolean withPreemptions) {
        long k = mem.fingerprint() ^ threadHash;
        if (withPreemptions) {
            k ^= Hash.mix(0x632be59bd9b4e019L + last * 131L + preemptions);
        }
        return k;
    }
}
