package dev.mmcheck.engine;

import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;
import java.util.function.Consumer;

/**
 * Depth-first exploration of every interleaving of a program, with two reductions that keep every
 * reachable state and every violation: state caching (a state already explored is not explored
 * again) and sleep sets (after exploring step a then b from a state, b then a is not explored when
 * a and b touch no common slot with a write). With both, a revisited state is explored again only
 * for the steps that were asleep at the first visit and are awake now (Godefroid, 1996).
 */
public final class Explorer {
    private final Program program;
    private final Options opts;
    private final Resumer[] resumers;
    private final PathNode[] roots;
    private final Observer observer;

    private final Long2LongOpenHashMap visited = new Long2LongOpenHashMap();
    /** States below which some branch ended in a violation and was not explored further. */
    private final it.unimi.dsi.fastutil.longs.LongOpenHashSet cutStates = new it.unimi.dsi.fastutil.longs.LongOpenHashSet();
    private static final int STOP = 1;
    private static final int CUT = 2;
    private Execution ex;
    private long executions;
    private long transitions;
    private int maxDepth;
    private long started;
    private long nextProgress;
    private boolean outOfBudget;
    private String stoppedBy;
    private long maxVisited;
    private Found found;

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
        this.program = program;
        this.opts = opts;
        this.resumers = Execution.resumers(program, null);
        this.roots = Execution.roots(resumers);
        this.observer = observer;
        visited.defaultReturnValue(-1L);
    }

    public Result run() {
        started = System.nanoTime();
        // An open-addressing table of 16-byte entries at load 0.75 needs three times its size while it grows.
        maxVisited = opts.memoryBudget() / 64;
        ex = new Execution(program, roots, resumers);
        Violation initial = ex.initialViolation();
        if (initial != null) {
            executions++;
            report(initial);
        } else {
            dfs(0L, new Footprint[ex.n]);
        }
        return result();
    }

    private Result result() {
        Stats stats = new Stats(executions, opts.stateCaching() ? visited.size() : 0, transitions, maxDepth,
                (System.nanoTime() - started) / 1e9);
        Verdict v = found != null ? Verdict.VIOLATION : outOfBudget ? Verdict.INCOMPLETE : Verdict.VERIFIED;
        return new Result(v, found, stats, coverage(), v == Verdict.INCOMPLETE ? stoppedBy : null);
    }

    /** Plain words on what a VERIFIED verdict of this run covers. */
    public String coverage() {
        StringBuilder sb = new StringBuilder();
        sb.append(program.threads().size()).append(" threads, every interleaving of their steps");
        sb.append(opts.preemptionBound() < 0 ? ", no preemption bound"
                : ", at most " + opts.preemptionBound() + " preemption(s) per execution");
        sb.append("; reduction: ");
        if (opts.stateCaching()) {
            sb.append("state caching (64-bit fingerprints");
            sb.append(")");
        }
        if (opts.sleepSetsActive()) {
            sb.append(opts.stateCaching() ? " + " : "").append("sleep sets");
        }
        if (!opts.stateCaching() && !opts.sleepSetsActive()) {
            sb.append("none");
        }
        return sb.toString();
    }

    /**
     * Returns STOP when the search must stop, CUT when some branch below ended in a violation and
     * was not explored further. A step whose branch was cut is not put to sleep for its siblings:
     * sleep sets assume a done step's branch was explored to the end.
     */
    private int dfs(long sleep, Footprint[] sleepFp) {
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
            if (opts.stateCaching() && visited.put(ex.key(false), 0L) != -1L) {
                return 0;
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
        long todo = enabled & ~sleep;
        long key = 0;
        boolean cut = false;
        if (opts.stateCaching()) {
            key = ex.key(bounded);
            long asleepBefore = visited.get(key);
            if (asleepBefore != -1L) {
                cut = cutStates.contains(key);
                todo = asleepBefore & ~sleep & enabled;
                if (todo == 0) {
                    return cut ? CUT : 0;
                }
                visited.put(key, asleepBefore & sleep);
            } else {
                visited.put(key, sleep);
            }
        }
        long done = 0;
        Footprint[] doneFp = useSleep ? new Footprint[ex.n] : null;
        // Continue the thread that ran last first: executions with few preemptions come first.
        int first = ex.last >= 0 && (todo & (1L << ex.last)) != 0 ? ex.last : -1;
        for (int i = -1; i < ex.n; i++) {
            int t = i < 0 ? first : i;
            if (t < 0 || (i >= 0 && t == first) || (todo & (1L << t)) == 0) {
                continue;
            }
            if (bounded && ex.preemptions + (ex.preempts(t, enabled) ? 1 : 0) > opts.preemptionBound()) {
                continue;
            }
            Violation v = ex.step(t, enabled);
            transitions++;
            int r;
            if (v != null) {
                executions++;
                if (ex.depth > maxDepth) {
                    maxDepth = ex.depth;
                }
                r = report(v) ? STOP : CUT;
            } else if (useSleep) {
                Footprint f = ex.lastFootprint;
                long childSleep = 0;
                Footprint[] childFp = new Footprint[ex.n];
                long candidates = sleep | done;
                for (int u = 0; u < ex.n; u++) {
                    if ((candidates & (1L << u)) != 0) {
                        Footprint fu = (done & (1L << u)) != 0 ? doneFp[u] : sleepFp[u];
                        if (!fu.conflictsWith(f)) {
                            childSleep |= 1L << u;
                            childFp[u] = fu;
                        }
                    }
                }
                doneFp[t] = f;
                r = dfs(childSleep, childFp);
            } else {
                r = dfs(0L, sleepFp);
            }
            ex.undo();
            if ((r & STOP) != 0) {
                return STOP;
            }
            if ((r & CUT) != 0) {
                cut = true; // not explored to the end: it must stay awake for the siblings
            } else {
                done |= 1L << t;
            }
        }
        if (cut && opts.stateCaching()) {
            cutStates.add(key);
        }
        return cut ? CUT : 0;
    }

    /** Records a violation; returns whether the search stops. */
    private boolean report(Violation v) {
        if (observer != null) {
            observer.onViolation(v, ex.schedule());
        }
        if (opts.kind() != null && !opts.kind().equals(v.kind())) {
            return false;
        }
        if (found == null) {
            found = new Found(v, ex.schedule());
        }
        return opts.stopAtFirst();
    }

    private boolean budgetSpent() {
        if ((transitions & 1023) != 0) {
            return outOfBudget;
        }
        long now = System.nanoTime();
        double secs = (now - started) / 1e9;
        if (opts.progress() != null && now >= nextProgress) {
            nextProgress = now + 100_000_000L;
            opts.progress().update(executions, visited.size(), transitions, secs);
        }
        if (opts.maxSeconds() > 0 && secs > opts.maxSeconds()) {
            stoppedBy = "time";
        } else if (opts.maxStates() > 0 && visited.size() > opts.maxStates()) {
            stoppedBy = "states";
        } else if (visited.size() > maxVisited) {
            stoppedBy = "memory";
        }
        outOfBudget = stoppedBy != null;
        return outOfBudget;
    }
}
