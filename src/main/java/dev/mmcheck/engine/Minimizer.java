package dev.mmcheck.engine;

/**
 * Turns a counterexample into the simplest of its kind that can be found: first the fewest
 * preemptions (exhaustive search under a rising preemption bound), then, under that bound, the
 * fewest steps (depth-first search that prunes at the best length so far), within a budget.
 */
public final class Minimizer {
    private Minimizer() {}

    public static Found minimize(Program program, Found found, double seconds) {
        String kind = found.violation().kind();
        int have = Tracer.replay(program, found.schedule(), null).preemptions();
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        Found best = found;
        int bound = have;
        for (int b = 0; b < have; b++) {
            double left = (deadline - System.nanoTime()) / 1e9;
            if (left <= 0) {
                break;
            }
            Options o = Options.exhaustive().withPreemptionBound(b).withKind(kind).withBudget(0, left);
            Result r = new Explorer(program, o).run();
            if (r.found() != null) {
                best = r.found();
                bound = b;
                break;
            }
        }
        double left = (deadline - System.nanoTime()) / 1e9;
        if (left > 0) {
            Found shorter = new Shortest(program, kind, bound, best.schedule().length(), deadline).run();
            if (shorter != null) {
                best = shorter;
            }
        }
        return best;
    }

    /** Branch and bound on length, with a cache of the shortest depth each state was reached at. */
    private static final class Shortest {
        private final Execution ex;
        private final String kind;
        private final int bound;
        private final long deadline;
        private final it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap seen = new it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap();
        private static final int MAX_SEEN = 20_000_000;
        private int best;
        private Found found;
        private long steps;

        Shortest(Program p, String kind, int bound, int bestLength, long deadline) {
            Resumer[] rs = Execution.resumers(p, null);
            this.ex = new Execution(p, Execution.roots(rs), rs);
            this.kind = kind;
            this.bound = bound;
            this.best = bestLength;
            this.deadline = deadline;
        }

        Found run() {
            Violation v = ex.initialViolation();
            if (v != null) {
                return v.kind().equals(kind) ? new Found(v, ex.schedule()) : null;
            }
            search();
            return found;
        }

        private boolean search() {
            if ((++steps & 1023) == 0 && (System.nanoTime() > deadline || seen.size() > MAX_SEEN)) {
                return true;
            }
            if (ex.depth + 1 >= best) {
                return false;
            }
            long key = ex.key(true);
            int at = seen.getOrDefault(key, Integer.MAX_VALUE);
            if (at <= ex.depth) {
                return false;
            }
            seen.put(key, ex.depth);
            long enabled = ex.enabledMask();
            for (int t = 0; t < ex.n; t++) {
                if ((enabled & (1L << t)) == 0
                        || ex.preemptions + (ex.preempts(t, enabled) ? 1 : 0) > bound) {
                    continue;
                }
                Violation v = ex.step(t, enabled);
                boolean stop = false;
                if (v != null) {
                    if (v.kind().equals(kind)) {
                        best = ex.depth;
                        found = new Found(v, ex.schedule());
                    }
                } else if (ex.enabledMask() == 0) {
                    Violation end = ex.aliveMask() != 0 ? ex.deadlock() : ex.check(ex.program.finalChecks());
                    if (end != null && end.kind().equals(kind) && ex.depth < best) {
                        best = ex.depth;
                        found = new Found(end, ex.schedule());
                    }
                } else {
                    stop = search();
                }
                ex.undo();
                if (stop) {
                    return true;
                }
            }
            return false;
        }
    }
}
