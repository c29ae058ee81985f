package dev.mmcheck.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Depth-first exploration of every interleaving of a program, with reductions that keep every
 * reachable final state and every violation: state caching (a state already explored is not
 * explored again) and sleep sets (after exploring step a then b from a state, b then a is not
 * explored when a and b touch no common slot with a write; adds to a counter and whole critical
 * sections of one lock are compared more finely, {@link Footprint}, {@link Section}). With both, a
 * revisited state is explored again only for the steps that were asleep at the first visit and are
 * awake now (Godefroid, 1996). With local steps on, a state is explored through a persistent set
 * learned from what the threads touch ({@link AccessSummary}): one step alone where it can, else
 * the smallest set of threads that keeps to itself; and transactions (Lipton) run a thread on
 * after it takes a lock. docs/design.md says why each is sound.
 *
 * <p>Several explorers can share one visited set ({@link #parallel}): each walks the whole graph in
 * its own order, and a state one of them has entered is left to it by the others. Every state
 * entered is explored to the end unless the search stops, so together they cover the graph.
 */
public final class Explorer {
    private final Program program;
    private final Options opts;
    private final Resumer[] resumers;
    private final PathNode[] roots;
    private final Observer observer;

    private final Shared shared;
    private VisitedSet visited;
    private final int worker;
    /** States below which some branch ended in a violation and was not explored further. */
    private final it.unimi.dsi.fastutil.longs.LongOpenHashSet cutStates = new it.unimi.dsi.fastutil.longs.LongOpenHashSet();
    /**
     * Above this many states with several ways out on the path, a state another worker is exploring
     * is explored by this one too (near the root they go the same way: left to the other there,
     * one would soon find everything taken and idle); below, it is left to the other, which will
     * explore it to the end (a run stops only as a whole), and this one takes the next.
     */
    private static final int SHARED_BELOW = 12;
    private int sharedBelow = SHARED_BELOW;
    /** States with several ways out on the current path. */
    private int branchings;
    private static final int STOP = 1;
    private static final int CUT = 2;
    private Execution ex;
    private long executions;
    private long transitions;
    private int maxDepth;
    private long started;
    private long nextProgress;
    private boolean outOfBudget;
    private boolean learnFirst = true;
    /** The thread whose step {@link #localStep} left applied, or -1; and that step's violation. */
    private int keptThread = -1;
    private Violation keptViolation;
    private Footprint[][] donePool = new Footprint[0][];
    /**
     * Set by {@link #dfs} as it returns: the footprint of the step it took as the rest of a
     * transaction, {@link #UNKNOWN} if it had one to take but did not (explored before), null if none.
     */
    private Footprint transactionFp;
    private static final Footprint UNKNOWN = new Footprint(new int[0], new int[0]);
    private Where where = new Where(0);
    /**
     * Noted by {@link #localStep} when it finds no local step ({@link #noteState}), for persistent
     * sets: per unfinished thread its next step's footprint (what its guard reads, for one that
     * waits) and the locks it holds; the unfinished threads ({@link #where}: where they are).
     */
    private Footprint[] nextFp = new Footprint[0];
    private int[][] nextHeld = new int[0][];
    private long stateAlive;
    /** Per depth of the current path: whether the state there was explored by a persistent set of several threads. */
    private boolean[] reducedAt = new boolean[256];
    /** The critical section being followed down the first path below the step that began it, or null. */
    private Section following;
    private Footprint[][] childPool = new Footprint[0][];

    /** What the explorers of one run share. */
    private static final class Shared {
        final int threads;
        volatile VisitedSet visited;
        final AtomicReference<Found> found = new AtomicReference<>();
        final LongAdder executions = new LongAdder();
        final LongAdder transitions = new LongAdder();
        final AccessSummary summary;
        volatile String stoppedBy;
        volatile boolean stop;
        /** Set when something learned contradicted a local step taken: the run proves nothing. */
        volatile boolean restart;
        /** The path to the state where the run's first contradiction was found. */
        final AtomicReference<int[]> contradictedAt = new AtomicReference<>();
        /** That path of the run before this one: the learning after the restart starts on it. */
        volatile int[] restartedAt;
        int restarts;
        final long started = System.nanoTime();

        final boolean alone;

        Shared(int threads, boolean alone, Options opts) {
            this.threads = threads;
            this.alone = alone;
            this.visited = new VisitedSet(threads, alone);
            this.summary = new AccessSummary(threads, opts.pastSlack(), opts.lockBarriers());
        }

        /** Whether the run that just ended must be started again, having learned more footprints. */
        boolean mustRestart(Options opts) {
            return restart && stoppedBy == null && !(opts.stopAtFirst() && found.get() != null);
        }

        void restart() {
            restart = false;
            stop = false;
            visited = new VisitedSet(threads, alone);
            restartedAt = contradictedAt.getAndSet(null);
            summary.forgetDecisions();
            restarts++;
        }
    }

    public Explorer(Program program, Options opts) {
        this(program, opts, (Observer) null);
    }

    /** {@code onFinal} sees the memory of every distinct final state (every thread finished). */
    public Explorer(Program program, Options opts, Consumer<Memory> onFinal) {
        this(program, opts, new Observer() {
            public void onFinal(Memory m, Schedule s) {
                onFinal.accept(m);
            }

            public void onViolation(Violation v, Schedule s) {}
        });
    }

    /** {@code observer} sees every distinct final state and every violation, with its schedule. */
    public Explorer(Program program, Options opts, Observer observer) {
        this(program, opts, observer, new Shared(program.threads().size(), true, opts), 0);
    }

    private Explorer(Program program, Options opts, Observer observer, Shared shared, int worker) {
        this.program = program;
        this.opts = opts;
        this.resumers = Execution.resumers(program, null, opts.mergeHistories() && opts.stateCaching());
        this.roots = Execution.roots(resumers);
        this.observer = observer;
        this.shared = shared;
        this.visited = shared.visited;
        this.worker = worker;
    }

    /** Whether to learn footprints before the search (tests switch it off to make the search learn, and restart). */
    Explorer learningFirst(boolean on) {
        this.learnFirst = on;
        return this;
    }

    public Result run() {
        started = shared.started;
        learnFootprints();
        shared.summary.forgetDecisions();
        explore();
        while (shared.mustRestart(opts)) {
            shared.restart();
            learnMore();
            explore();
        }
        return result(List.of(this), 1);
    }

    /** Learns before the search ({@link Learning#beforeSearch}). */
    private void learnFootprints() {
        Execution e = learningExecution();
        if (e != null) {
            Learning.beforeSearch(e, learningDeadline(), this::learningTick);
        }
    }

    /** Learns after a restart ({@link Learning#afterRestart}). */
    private void learnMore() {
        Execution e = learningExecution();
        if (e != null) {
            Learning.afterRestart(e, shared.restarts, shared.restartedAt, learningDeadline(), this::learningTick);
        }
    }

    /**
     * When learning stops ({@link System#nanoTime}): with a time budget, once a quarter of it is
     * spent, so that a big scenario's learning leaves the search time to run; else never.
     */
    private long learningDeadline() {
        return opts.maxSeconds() > 0 ? shared.started + (long) (opts.maxSeconds() * 0.25e9) : Long.MAX_VALUE;
    }

    /** Shows that the run is learning, at most every tenth of a second, from worker 0. */
    private void learningTick() {
        long now = System.nanoTime();
        if (worker == 0 && opts.progress() != null && now >= nextProgress) {
            nextProgress = now + 100_000_000L;
            opts.progress().learning((now - shared.started) / 1e9);
        }
    }

    /** An execution that teaches the shared summary, or null when there is nothing to learn for. */
    private Execution learningExecution() {
        if (!opts.localStepsActive() || !learnFirst) {
            return null;
        }
        Execution e = new Execution(program, roots, resumers);
        e.summary = shared.summary;
        return e.initialViolation() != null ? null : e;
    }

    private void explore() {
        visited = shared.visited;
        executions = 0;
        transitions = 0;
        cutStates.clear();
        outOfBudget = false;
        branchings = 0;
        following = null;
        ex = new Execution(program, roots, resumers);
        if (opts.localStepsActive()) {
            ex.summary = shared.summary;
        }
        Violation initial = ex.initialViolation();
        if (initial != null) {
            executions++;
            report(initial);
        } else {
            dfs(0L, new Footprint[ex.n], false);
        }
        if (ex.summary != null && ex.summary.contradicted()) {
            shared.restart = true; // learned at the very end (a guard of a deadlocked state)
        }
        shared.executions.add(executions);
        shared.transitions.add(transitions);
    }

    /**
     * Explores with {@code workers} explorers on as many threads, sharing one visited set. Each
     * worker needs its own instance of the program ({@code programs} is called once per worker and
     * must build the same program each time). Only for runs that stop at the first violation of
     * any kind: sharing states is sound then, while the bookkeeping of branches cut short by a
     * violation (for runs that go on) is not shared.
     */
    public static Result parallel(Supplier<Program> programs, Options opts, int workers, long stackSize) {
        return parallel(programs, opts, workers, stackSize, true);
    }

    /** {@code learnFirst}: see {@link #learningFirst}. */
    static Result parallel(Supplier<Program> programs, Options opts, int workers, long stackSize, boolean learnFirst) {
        return parallel(programs, opts, workers, stackSize, learnFirst, SHARED_BELOW);
    }

    /** {@code sharedBelow}: see {@link #SHARED_BELOW} (tests share from higher up, where small programs get). */
    static Result parallel(Supplier<Program> programs, Options opts, int workers, long stackSize, boolean learnFirst, int sharedBelow) {
        if (workers < 2 || !opts.stopAtFirst() || opts.kind() != null) {
            return new Explorer(programs.get(), opts).learningFirst(learnFirst).run();
        }
        List<Explorer> explorers = new ArrayList<>();
        Program first = programs.get();
        Shared shared = new Shared(first.threads().size(), false, opts);
        explorers.add(new Explorer(first, opts, null, shared, 0));
        for (int w = 1; w < workers; w++) {
            explorers.add(new Explorer(programs.get(), opts, null, shared, w));
        }
        for (Explorer e : explorers) {
            e.sharedBelow = sharedBelow;
        }
        if (learnFirst) {
            // One worker learns, the same as a lone explorer would: what is learned decides how much
            // the reductions take out (each access known may keep a step from being taken alone).
            runAll(explorers.subList(0, 1), shared, stackSize, Explorer::learnFootprints);
        }
        shared.summary.forgetDecisions();
        runAll(explorers, shared, stackSize, Explorer::explore);
        while (shared.mustRestart(opts)) {
            shared.restart();
            runAll(explorers.subList(0, 1), shared, stackSize, Explorer::learnMore);
            runAll(explorers, shared, stackSize, Explorer::explore);
        }
        return explorers.get(0).result(explorers, workers);
    }

    /** Runs {@code work} on every explorer, each on a thread of its own, and waits for all. */
    private static void runAll(List<Explorer> explorers, Shared shared, long stackSize, Consumer<Explorer> work) {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (Explorer e : explorers) {
            e.started = shared.started;
            Thread t = new Thread(null, () -> {
                try {
                    work.accept(e);
                } catch (RuntimeException x) {
                    failure.compareAndSet(null, x);
                    shared.stop = true;
                }
            }, "mmcheck-explore-" + e.worker, stackSize);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                shared.stop = true;
            }
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    private Result result(List<Explorer> all, int workers) {
        int depth = 0;
        for (Explorer e : all) {
            depth = Math.max(depth, e.maxDepth);
        }
        Stats stats = new Stats(shared.executions.sum(), opts.stateCaching() ? visited.size() : 0, shared.transitions.sum(), depth,
                (System.nanoTime() - shared.started) / 1e9, workers, opts.stateCaching() ? visited.bytes() : 0, shared.restarts);
        Found found = shared.found.get();
        boolean incomplete = shared.stoppedBy != null;
        Verdict v = found != null ? Verdict.VIOLATION : incomplete ? Verdict.INCOMPLETE : Verdict.VERIFIED;
        return new Result(v, found, stats, coverage(), v == Verdict.INCOMPLETE ? shared.stoppedBy : null);
    }

    /** Plain words on what a VERIFIED verdict of this run covers. */
    public String coverage() {
        StringBuilder sb = new StringBuilder();
        sb.append(program.threads().size()).append(" threads, every interleaving of their steps");
        sb.append(opts.preemptionBound() < 0 ? ", no preemption bound"
                : ", at most " + opts.preemptionBound() + " preemption(s) per execution");
        sb.append("; reduction: ");
        java.util.List<String> parts = new ArrayList<>();
        if (opts.stateCaching()) {
            parts.add("state caching (64-bit fingerprints)");
            if (opts.mergeHistories()) {
                parts.add("summarized calls");
            }
        }
        if (opts.sleepSetsActive()) {
            parts.add("sleep sets");
        }
        if (opts.localStepsActive()) {
            parts.add("local steps");
            if (opts.lockBarriers()) {
                parts.add("locks still to be taken");
            }
            if (opts.atomicSections()) {
                parts.add("atomic sections");
            }
            if (opts.transactions()) {
                parts.add("transactions");
            }
        }
        sb.append(parts.isEmpty() ? "none" : String.join(" + ", parts));
        return sb.toString();
    }

    /**
     * Returns STOP when the search must stop, CUT when some branch below ended in a violation and
     * was not explored further. A step whose branch was cut is not put to sleep for its siblings:
     * sleep sets assume a done step's branch was explored to the end.
     */
    private int dfs(long sleep, Footprint[] sleepFp, boolean inChain) {
        transactionFp = null;
        if (ex.depth > maxDepth) {
            maxDepth = ex.depth;
        }
        if (budgetSpent()) {
            return STOP;
        }
        long enabled = ex.enabledMask();
        if (enabled == 0) {
            executions++;
            if (ex.aliveMask() != 0) {
                return report(ex.deadlock()) ? STOP : 0;
            }
            if (opts.stateCaching()) {
                long k = ex.key(false);
                long seen = visited.visit(k, 0L);
                visited.complete(k, 0L);
                if (seen != -1L) {
                    return 0;
                }
            }
            Violation v = ex.check(program.finalChecks());
            if (v != null) {
                return report(v) ? STOP : 0;
            }
            if (observer != null) {
                observer.onFinal(ex.mem, ex.schedule());
            }
            return 0;
        }
        boolean bounded = opts.preemptionBound() >= 0;
        boolean useSleep = opts.sleepSetsActive();
        if (ex.depth >= reducedAt.length) {
            reducedAt = java.util.Arrays.copyOf(reducedAt, 2 * ex.depth + 2);
        }
        reducedAt[ex.depth] = false;
        long key = opts.stateCaching() ? ex.key(bounded) : 0;
        long ample = enabled;
        int kept = -1; // a step tried and left applied, to be explored first without running it again
        Violation keptV = null;
        boolean local = false;
        int inTransaction = ex.summary != null && opts.transactions() ? transactionThread(enabled) : -1;
        Footprint forcedFp = null;
        if (inTransaction >= 0) {
            ample = 1L << inTransaction;
            local = true;
            transactionFp = UNKNOWN; // until the step is taken here
        } else if (ex.summary != null) {
            int t = localStep(enabled, sleep, sleepFp);
            local = t >= 0;
            if (t >= 0) {
                ample = 1L << t;
            }
            kept = keptThread;
            keptV = keptViolation;
            if (ex.summary.contradicted()) {
                if (kept >= 0) {
                    ex.undo();
                }
                return abandon();
            }
            if (t < 0 && Long.bitCount(enabled) > 1) {
                // No step alone: perhaps a few threads that keep to themselves. (localStep noted the
                // state: the step it tried last may be applied.)
                Footprint[] sections = null;
                if (opts.atomicSections() && anyTakesLockNext(enabled, kept)) {
                    if (kept >= 0) {
                        ex.undo(); // (the sections are run from this state; the loop runs it again)
                        kept = -1;
                        keptV = null;
                    }
                    sections = sections(enabled);
                }
                ample = ex.summary.smallestPersistent(enabled, stateAlive, nextFp, nextHeld, where, sections, sectionSlots);
                if (ex.summary.contradicted()) {
                    if (kept >= 0) {
                        ex.undo();
                    }
                    return abandon();
                }
                reducedAt[ex.depth - (kept >= 0 ? 1 : 0)] = ample != enabled;
            }
        }
        long todo = ample & ~sleep;
        boolean cut = false;
        // Inside a run of local steps a state has one way out and is rarely reached another way than
        // from the state before it: the run's first state is stored, the others are not (a state not
        // stored is only explored again if it is reached again).
        boolean store = opts.stateCaching() && !(inChain && local);
        // What this visit leaves unexplored: the asleep steps, and those outside the ample set. A
        // transaction's ample set depends on the path here (where the lock was taken), so a later
        // visit by another path may need a step this one left out.
        long unexplored = sleep | (enabled & ~ample);
        if (store) {
            long asleepBefore = visited.visit(key, unexplored, branchings > sharedBelow);
            if (asleepBefore >= 0) {
                cut = cutStates.contains(key);
                todo = asleepBefore & ~sleep & ample;
                if (todo == 0) {
                    if (kept >= 0) {
                        ex.undo();
                    }
                    return cut ? CUT : 0;
                }
            }
            // -1: new; IN_PROGRESS: another worker is on it, explore it too (in its own order).
        }
        if (kept >= 0 && (todo & (1L << kept)) == 0) {
            ex.undo(); // not to be explored from here (explored at an earlier visit)
            kept = -1;
        }
        long done = 0;
        boolean branching = Long.bitCount(todo) > 1;
        if (branching) {
            branchings++;
        }
        // Per-level arrays, reused: an entry is only read where its thread's bit in done or childSleep is set.
        int level = ex.depth - (kept >= 0 ? 1 : 0); // this state's depth, a kept step not counted
        if (useSleep && level + 1 >= donePool.length) {
            donePool = java.util.Arrays.copyOf(donePool, 2 * (level + 2));
            childPool = java.util.Arrays.copyOf(childPool, 2 * (level + 2));
        }
        Footprint[] doneFp = useSleep ? pool(donePool, level) : null;
        // Continue the thread that ran last first: executions with few preemptions come first.
        // Every worker of a parallel run goes in the same order, so they choose the same steps to
        // take alone and meet the same states; where one finds a state the other is deep inside,
        // it leaves it and takes the next (SHARED_BELOW), and that is how they part.
        int first = kept >= 0 ? kept : ex.last >= 0 && (todo & (1L << ex.last)) != 0 ? ex.last : -1;
        for (int i = -1; i < ex.n; i++) {
            int t = i < 0 ? first : i;
            if (t < 0 || (i >= 0 && t == first) || (todo & (1L << t)) == 0) {
                continue;
            }
            if (bounded && ex.preemptions + (ex.preempts(t, enabled) ? 1 : 0) > opts.preemptionBound()) {
                continue;
            }
            Violation v;
            if (t == kept) {
                v = keptV; // already applied by localStep
                kept = -1;
            } else {
                v = ex.step(t, enabled);
                transitions++;
            }
            if (t == inTransaction) {
                forcedFp = ex.lastFootprint;
            }
            int r;
            Footprint tx = null;
            if (ex.summary != null && ex.summary.contradicted()) {
                ex.undo();
                return abandon();
            }
            if (v != null) {
                executions++;
                if (ex.depth > maxDepth) {
                    maxDepth = ex.depth;
                }
                r = report(v) ? STOP : CUT;
            } else if (useSleep) {
                Footprint f = ex.lastFootprint;
                Section begun = follow(t, local, inTransaction, bounded);
                long childSleep = 0;
                Footprint[] childFp = pool(childPool, level);
                long candidates = sleep | done;
                for (int u = 0; u < ex.n; u++) {
                    if ((candidates & (1L << u)) != 0) {
                        Footprint fu = (done & (1L << u)) != 0 ? doneFp[u] : sleepFp[u];
                        if (!fu.conflictsWith(f, ex.mem)) {
                            childSleep |= 1L << u;
                            childFp[u] = fu;
                        }
                    }
                }
                doneFp[t] = f;
                r = dfs(childSleep, childFp, local);
                tx = transactionFp;
                if (begun != null) {
                    if (following == begun) {
                        following = null; // the path below ended before the section did
                    }
                    Footprint whole = begun.footprint();
                    if (whole != null) {
                        doneFp[t] = whole;
                        tx = null;
                    }
                }
            } else {
                r = dfs(0L, sleepFp, local);
            }
            ex.undo();
            if ((r & STOP) != 0) {
                return STOP;
            }
            if ((r & CUT) != 0) {
                cut = true; // not explored to the end: it must stay awake for the siblings
            } else if (tx != UNKNOWN) {
                // A step that began a transaction stands for itself and the step it forced: a sibling
                // sleeps on it only if it commutes with both (then every order of the three is covered).
                if (tx != null) {
                    doneFp[t] = doneFp[t].with(tx);
                }
                done |= 1L << t;
            }
        }
        if (branching) {
            branchings--; // (a search that stops does not come back here: explore() starts at 0)
        }
        transactionFp = inTransaction < 0 ? null : forcedFp != null ? forcedFp : UNKNOWN;
        if (store) {
            visited.complete(key, unexplored);
            if (cut) {
                cutStates.add(key);
            }
        }
        return cut ? CUT : 0;
    }

    /** What {@link #sections} found: per thread, the slots of the lock its section takes, that lock first. */
    private int[][] sectionSlots = new int[0][];

    /** Whether an enabled thread's next step waits for a lock and takes it (that of {@code kept}, applied, is at its node before). */
    private boolean anyTakesLockNext(long enabled, int kept) {
        for (int t = 0; t < ex.n; t++) {
            if ((enabled & (1L << t)) != 0 && takesLockNext(t == kept ? ex.from(t) : ex.nodes[t]) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** The lock that the next step of a thread at {@code node} waits for and takes, or -1. */
    private static int takesLockNext(PathNode node) {
        return node == null || node.op == null ? -1 : node.op.guardLock();
    }

    /**
     * For persistent sets: the whole critical section of each enabled thread whose next step waits
     * for a lock and takes it, run alone from this state to the release (and undone): what it reads
     * and writes, the lock's slots included ({@link #sectionSlots}); null for a thread whose section
     * waits, takes or drops another lock, ends in a violation, changes the lock's own slots for good
     * or runs longer than {@link #SECTION_STEPS} steps.
     */
    private Footprint[] sections(long enabled) {
        Footprint[] out = null;
        for (int t = 0; t < ex.n; t++) {
            int lock = (enabled & (1L << t)) == 0 ? -1 : takesLockNext(ex.nodes[t]);
            if (lock < 0) {
                continue;
            }
            if (out == null) {
                out = new Footprint[ex.n];
                if (sectionSlots.length != ex.n) {
                    sectionSlots = new int[ex.n][];
                }
            }
            out[t] = section(t, lock, enabled);
        }
        return out;
    }

    private static final int SECTION_STEPS = 64;
    private final it.unimi.dsi.fastutil.ints.IntArrayList sectionReads = new it.unimi.dsi.fastutil.ints.IntArrayList(256);
    private final it.unimi.dsi.fastutil.ints.IntArrayList sectionWrites = new it.unimi.dsi.fastutil.ints.IntArrayList(256);

    private Footprint section(int t, int lock, long enabled) {
        int start = ex.depth;
        int mark = ex.mem.mark();
        it.unimi.dsi.fastutil.ints.IntArrayList reads = sectionReads;
        it.unimi.dsi.fastutil.ints.IntArrayList writes = sectionWrites;
        reads.clear();
        writes.clear();
        boolean whole = false;
        for (int i = 0; i < SECTION_STEPS; i++) {
            if (i > 0 && (ex.nodes[t].op == null || !ex.neverWaits(t))) {
                break;
            }
            Violation v = ex.step(t, enabled);
            transitions++;
            if (v != null) {
                break;
            }
            reads.addElements(reads.size(), ex.lastFootprint.readSet());
            writes.addElements(writes.size(), ex.lastFootprint.writeSet());
            it.unimi.dsi.fastutil.ints.IntArrayList events = ex.mem.lockEvents();
            if (i == 0) {
                if (events.size() != 1 || events.getInt(0) != lock << 2 || ex.nodes[t].op == null) {
                    break; // (a shared taking, or more than the lock)
                }
                continue;
            }
            if (events.isEmpty()) {
                continue;
            }
            whole = events.size() == 1 && events.getInt(0) == (lock << 2 | 2);
            break;
        }
        int[] slots = whole ? Section.lockSlotsLeftAsFound(lock, reads, writes, ex.mem, mark) : null;
        while (ex.depth > start) {
            ex.undo();
        }
        if (slots == null) {
            return null;
        }
        sectionSlots[t] = slots;
        return new Footprint(reads.toIntArray(), writes.toIntArray());
    }

    /**
     * Follows critical sections for sleep sets ({@link Section}), as thread {@code t}'s step just
     * taken from this state goes: a state with one way out (a local step, or the rest of the
     * followed thread's transaction) carries the section on, any other ends the following; a state
     * with several ways out begins one for each of its steps that waited for a lock and took it.
     * Returns the section begun here, or null.
     */
    private Section follow(int t, boolean local, int inTransaction, boolean bounded) {
        if (following != null) {
            if (local && (inTransaction < 0 || inTransaction == following.thread) && !(inTransaction < 0 && localByBarrier(t))) {
                if (t == following.thread && following.add(ex)) {
                    following = null;
                }
                return null;
            }
            following = null;
        }
        if (local || bounded) {
            return null;
        }
        following = Section.begunBy(t, ex);
        return following;
    }

    /**
     * Whether thread {@code t}'s local step just taken was local only because another thread has yet
     * to take a lock. A section followed through it would not be atomic where that thread has taken
     * the lock, yet it would sleep there as a whole: so such a step ends the following.
     */
    private boolean localByBarrier(int t) {
        long alive = ex.aliveMask() | 1L << t;
        return ex.summary != null && ex.summary.localByBarrier(t, ex.lastFootprint, alive, ex.from(t).held, where());
    }

    /**
     * A thread whose next step is local ({@link AccessSummary}): that step alone is a persistent
     * set of the state. The thread that ran last if its step is local, else the first in index
     * order; -1 when no step is local. (The choice depends on the path: the visited set keeps the
     * steps a visit left out, so a later visit that picks another explores what it needs.)
     *
     * <p>Trying a step means running it, so the step tried last is left applied for the caller
     * ({@link #keptThread}, with {@link #keptViolation}): the local step found, or, when none is
     * local, the step of the thread that ran last, which is tried last and is the first child the
     * caller explores anyway. The caller explores it or undoes it.
     */
    private int localStep(long enabled, long sleep, Footprint[] sleepFp) {
        keptThread = -1;
        keptViolation = null;
        AccessSummary summary = ex.summary;
        long alive = ex.aliveMask();
        Where at = where();
        if (nextFp.length != ex.n) {
            nextFp = new Footprint[ex.n];
            nextHeld = new int[ex.n][];
        }
        int last = ex.last >= 0 && (enabled & ~sleep & (1L << ex.last)) != 0 ? ex.last : -1;
        // A run of local steps is mostly one thread's: try it first, sparing the tries of the others.
        if (last >= 0 && tryLocal(last, enabled, alive, at)) {
            keptThread = last;
            return last;
        }
        int found = -1;
        for (int t = 0; t < ex.n && found < 0; t++) {
            long bit = 1L << t;
            if ((enabled & bit) == 0 || t == last) {
                continue;
            }
            if ((sleep & bit) != 0) {
                // An asleep step has the footprint it had when it was taken: nothing it touches has changed since.
                if (summary.isLocal(t, sleepFp[t], alive, ex.nodes[t].held, at)) {
                    found = t;
                }
                continue;
            }
            if (tryLocal(t, enabled, alive, at)) {
                found = t;
                keptThread = t;
            }
        }
        if (last < 0 || (found >= 0 && found < last)) {
            if (found < 0) {
                noteState(alive, enabled, sleep, sleepFp);
            }
            return found;
        }
        // The thread that ran last, tried last: it wins if it is local and comes first.
        if (keptThread >= 0) {
            ex.undo();
            keptThread = -1;
        }
        if (found < 0) {
            noteState(alive, enabled, sleep, sleepFp);
        }
        int[] held = ex.nodes[last].held;
        Violation v = ex.step(last, enabled);
        transitions++;
        nextFp[last] = v == null ? ex.lastFootprint : null;
        keptThread = last;
        if (v == null && summary.isLocal(last, ex.lastFootprint, alive, held, at)) {
            return last;
        }
        keptViolation = v;
        if (found >= 0) {
            ex.undo(); // found is local and comes first; it will be run again
            keptThread = -1;
            keptViolation = null;
        }
        return found;
    }

    /** Runs thread t's step and leaves it applied if it is local (true), else undoes it; notes its footprint. */
    private boolean tryLocal(int t, long enabled, long alive, Where at) {
        int[] held = ex.nodes[t].held;
        Violation v = ex.step(t, enabled);
        transitions++;
        nextFp[t] = v == null ? ex.lastFootprint : null;
        if (v == null && ex.summary.isLocal(t, ex.lastFootprint, alive, held, at)) {
            return true;
        }
        ex.undo();
        return false;
    }

    /**
     * For persistent sets, when no step is local: the state as it is (every step tried so far
     * undone), beside the footprints of the steps tried (noted as they ran, the last thread's
     * after this): the unfinished threads, the locks each holds, an asleep step's footprint, and
     * what the guard of each waiting thread reads (what would wake it).
     */
    private void noteState(long alive, long enabled, long sleep, Footprint[] sleepFp) {
        stateAlive = alive;
        for (int u = 0; u < ex.n; u++) {
            long bit = 1L << u;
            if ((alive & bit) == 0) {
                continue;
            }
            nextHeld[u] = ex.nodes[u].held;
            if ((enabled & bit) == 0) {
                nextFp[u] = ex.guardFootprint(u);
            } else if ((sleep & bit) != 0) {
                nextFp[u] = sleepFp[u];
            }
        }
    }

    /** Where each thread is in this state, in {@link #where}. */
    private Where where() {
        return ex.where(where.depths.length == ex.n ? where : (where = new Where(ex.n)));
    }

    /**
     * A thread inside a transaction: its last step took a lock and was a right mover but not a
     * both-mover, and it can go on. Taking a lock whose holder keeps out every other access to what
     * the step touched commutes with whatever the others do after it (Lipton: a right mover), so
     * any execution in which another thread runs next is one in which that thread ran before the
     * lock was taken, explored from the state where it was. So its next step is taken alone, if
     * that step can never wait: one that can (a second lock, taken in the other order by another
     * CPU) would hide the deadlock of two CPUs each holding one lock and waiting for the other. A
     * step that is also a left mover (local) is not followed this way: it was taken alone already,
     * so nothing explored before it stands for the others going first.
     * Lowest index first, so that the choice depends on the state only. -1 for none.
     */
    private int transactionThread(long enabled) {
        long alive = ex.aliveMask();
        Where at = null;
        for (int t = 0; t < ex.n; t++) {
            if ((enabled & (1L << t)) == 0) {
                continue;
            }
            PathNode node = ex.nodes[t];
            PathNode from = ex.from(t);
            if (from == null || reducedAt[ex.lastStepAt[t]]) {
                continue; // (taken where not every thread was tried: nothing stands for the others going first)
            }
            Footprint e = node.entry();
            if (e == null || e == PathNode.VARIES) {
                continue;
            }
            if (at == null) {
                at = where();
            }
            // Not when only a lock another thread has yet to take keeps the others out: that holds
            // here, not wherever a sibling sleeping on the transaction takes the lock later.
            if (ex.neverWaits(t) && !ex.summary.isLocal(t, e, alive, from.held, at)
                    && ex.summary.isLocal(t, e, alive, node.held, at) && !ex.summary.localByBarrier(t, e, alive, node.held, at)
                    && node.use(e)) {
                return t;
            }
        }
        return -1;
    }

    private Footprint[] pool(Footprint[][] pool, int level) {
        Footprint[] a = pool[level];
        if (a == null) {
            a = pool[level] = new Footprint[ex.n];
        }
        return a;
    }

    /** Stops a run that something learned has contradicted; it starts again knowing more. */
    private int abandon() {
        shared.contradictedAt.compareAndSet(null, ex.schedule().choices());
        shared.restart = true;
        shared.stop = true;
        outOfBudget = true;
        return STOP;
    }

    /** Records a violation; returns whether the search stops. */
    private boolean report(Violation v) {
        if (observer != null) {
            observer.onViolation(v, ex.schedule());
        }
        if (opts.kind() != null && !opts.kind().equals(v.kind())) {
            return false;
        }
        shared.found.compareAndSet(null, new Found(v, ex.schedule()));
        if (opts.stopAtFirst()) {
            shared.stop = true;
            return true;
        }
        return false;
    }

    private boolean budgetSpent() {
        if ((transitions & 1023) != 0) {
            return outOfBudget;
        }
        if (shared.stop) {
            outOfBudget = true;
            return true;
        }
        long now = System.nanoTime();
        double secs = (now - started) / 1e9;
        if (worker == 0 && opts.progress() != null && now >= nextProgress) {
            nextProgress = now + 100_000_000L;
            opts.progress().update(executions, visited.size(), transitions, secs); // worker 0's counts
        }
        String why = null;
        if (opts.maxSeconds() > 0 && secs > opts.maxSeconds()) {
            why = "time";
        } else if (opts.maxStates() > 0 && visited.size() > opts.maxStates()) {
            why = "states";
        } else if (visited.bytes() * 3 / 2 > opts.memoryBudget()) {
            why = "memory"; // room for the next doubling of a segment
        }
        if (why != null) {
            shared.stoppedBy = why;
            shared.stop = true;
            outOfBudget = true;
        }
        return outOfBudget;
    }
}
