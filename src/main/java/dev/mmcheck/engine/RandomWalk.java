package dev.mmcheck.engine;

import java.util.SplittableRandom;

/** Runs executions whose every scheduling choice is drawn at random from a seeded generator. */
public final class RandomWalk {
    private final Program program;
    private final Resumer[] resumers;
    private final PathNode[] roots;

    public RandomWalk(Program program) {
        this.program = program;
        this.resumers = Execution.resumers(program, null);
        this.roots = Execution.roots(resumers);
    }

    /** Up to {@code walks} executions; stops at the first violation. Never VERIFIED: it is a sample. */
    public Result run(long walks, long seed, Options.Progress progress) {
        return run(walks, seed, progress, 0);
    }

    /** Also stops (INCOMPLETE, "time") after {@code maxSeconds} when positive. */
    public Result run(long walks, long seed, Options.Progress progress, double maxSeconds) {
        long started = System.nanoTime();
        long nextProgress = 0;
        SplittableRandom rnd = new SplittableRandom(seed);
        Execution ex = new Execution(program, roots, resumers);
        long transitions = 0;
        int maxDepth = 0;
        Found found = null;
        long executions = 0;
        Violation initial = ex.initialViolation();
        if (initial != null) {
            found = new Found(initial, ex.schedule());
            executions++;
        }
        boolean outOfTime = false;
        while (executions < walks && found == null) {
            if (maxSeconds > 0 && (System.nanoTime() - started) / 1e9 > maxSeconds) {
                outOfTime = true;
                break;
            }
            ex.reset();
            executions++;
            while (true) {
                long enabled = ex.enabledMask();
                if (enabled == 0) {
                    Violation v = ex.aliveMask() != 0 ? ex.deadlock() : ex.check(program.finalChecks());
                    if (v != null) {
                        found = new Found(v, ex.schedule());
                    }
                    break;
                }
                int k = rnd.nextInt(Long.bitCount(enabled));
                long m = enabled;
                for (int i = 0; i < k; i++) {
                    m &= m - 1;
                }
                int t = Long.numberOfTrailingZeros(m);
                Violation v = ex.step(t, enabled);
                transitions++;
                if (v != null) {
                    found = new Found(v, ex.schedule());
                    break;
                }
            }
            maxDepth = Math.max(maxDepth, ex.depth);
            long now = System.nanoTime();
            if (progress != null && now >= nextProgress) {
                nextProgress = now + 100_000_000L;
                progress.update(executions, 0, transitions, (now - started) / 1e9);
            }
        }
        Stats stats = new Stats(executions, 0, transitions, maxDepth, (System.nanoTime() - started) / 1e9);
        String coverage = executions + " random executions from seed " + seed + " (a sample, not a proof)";
        return new Result(found != null ? Verdict.VIOLATION : Verdict.INCOMPLETE, found, stats, coverage,
                found != null ? null : outOfTime ? "time" : "sampling");
    }
}
