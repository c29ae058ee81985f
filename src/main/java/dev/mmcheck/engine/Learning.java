package dev.mmcheck.engine;

import it.unimi.dsi.fastutil.longs.LongOpenHashSet;
import java.util.SplittableRandom;

/**
 * Executions that teach the access summary what the threads touch before the search (see
 * {@link AccessSummary}): every execution with at most one preemption, each thread run alone as
 * far as it can go first, then random executions in bursts (a thread keeps the CPU for a few
 * steps) until many in a row teach nothing new. The search learns the rest; learning first only
 * makes restarts rare. Each part stops at a deadline ({@link System#nanoTime}), if there is one,
 * and calls a tick now and then (for a progress bar).
 */
final class Learning {
    /**
     * Random executions stop once as many in a row have taught nothing as came before them (at
     * least {@link #QUIET}, at most {@link #WALKS} in all): a path that turns up rarely in random
     * executions is often the one a restart would learn late.
     */
    private static final int WALKS = 5_000;
    private static final int QUIET = 64;
    /** How many states the executions with one preemption may visit. */
    private static final int STATES = 500_000;
    private static final long SEED = 0x6d6d636865636bL;

    private Learning() {}

    /** Before the search; one explorer learns, also in a parallel run ({@link Explorer#parallel}). */
    static void beforeSearch(Execution e, long deadline, Runnable tick) {
        SplittableRandom rnd = new SplittableRandom(SEED);
        withOnePreemption(e, new LongOpenHashSet(), deadline, tick);
        for (int first = 0; first < e.n && System.nanoTime() < deadline; first++) {
            walk(e, first, rnd, 0);
        }
        randomWalks(e, rnd, null, deadline, tick);
    }

    /**
     * After a restart: the summary missed something, so more random executions, new ones
     * ({@code seed} moves on with each restart), before the search starts again. Each begins at a
     * random point of {@code contradicted} (or at the start, if null), the path on which the search
     * learned what contradicted it: what it missed is often a run of accesses on a rare path, of
     * which the search learns one per restart, and random executions from the start rarely take it.
     */
    static void afterRestart(Execution e, long seed, int[] contradicted, long deadline, Runnable tick) {
        randomWalks(e, new SplittableRandom(SEED + seed), contradicted, deadline, tick);
    }

    private static void randomWalks(Execution e, SplittableRandom rnd, int[] from, long deadline, Runnable tick) {
        int quiet = 0;
        for (int walk = 0; walk < WALKS && (quiet < QUIET || quiet < walk / 2) && System.nanoTime() < deadline; walk++) {
            long before = e.summary.version();
            if (from == null || follow(e, from, rnd.nextInt(from.length + 1))) {
                walk(e, -1, rnd, 1 + rnd.nextInt(24));
            } else {
                e.reset();
            }
            quiet = e.summary.version() == before ? quiet + 1 : 0;
            tick.run();
        }
    }

    /**
     * Every execution with at most one preemption (a thread is stopped while it could go on at
     * most once): cheap, and it meets most of the paths a thread can take.
     */
    private static void withOnePreemption(Execution e, LongOpenHashSet seen, long deadline, Runnable tick) {
        if ((seen.size() & 1023) == 0) {
            tick.run();
            if (System.nanoTime() >= deadline) {
                return;
            }
        }
        if (seen.size() > STATES || !seen.add(e.key(true))) {
            return;
        }
        long en = e.enabledMask();
        for (int t = 0; t < e.n; t++) {
            if ((en & (1L << t)) == 0 || e.preemptions + (e.preempts(t, en) ? 1 : 0) > 1) {
                continue;
            }
            if (e.step(t, en) == null) {
                withOnePreemption(e, seen, deadline, tick);
            }
            e.undo();
        }
    }

    /** Runs the first {@code steps} steps of {@code path}; false if one ends in a violation. */
    private static boolean follow(Execution e, int[] path, int steps) {
        for (int i = 0; i < steps; i++) {
            if (e.step(path[i], e.enabledMask()) != null) {
                return false;
            }
        }
        return true;
    }

    /**
     * One execution: thread {@code first} (if not -1) runs until it cannot; then random threads,
     * each for about {@code burst} steps (0: run each to the end, in index order).
     */
    private static void walk(Execution e, int first, SplittableRandom rnd, int burst) {
        int t = first;
        int left = Integer.MAX_VALUE;
        for (long en = e.enabledMask(); en != 0; en = e.enabledMask()) {
            if (t < 0 || (en & (1L << t)) == 0 || left-- <= 0) {
                if (burst == 0) {
                    t = Long.numberOfTrailingZeros(en);
                } else {
                    long bit = en;
                    for (int i = rnd.nextInt(Long.bitCount(en)); i > 0; i--) {
                        bit &= bit - 1;
                    }
                    t = Long.numberOfTrailingZeros(bit);
                    left = rnd.nextInt(2 * burst);
                }
            }
            if (e.step(t, en) != null) {
                break;
            }
        }
        e.reset();
    }
}
