package dev.mmcheck.cli;

import dev.mmcheck.engine.Explorer;
import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Program;
import dev.mmcheck.engine.RandomWalk;
import dev.mmcheck.engine.Result;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/** Runs an exploration on a thread with a deep stack (the search recurses once per step). */
final class Explore {
    private Explore() {}

    static Result exhaustive(Program p, Options o) {
        return onBigStack(() -> new Explorer(p, o).run());
    }

    /** Exhaustive, on {@code workers} threads sharing the visited states (each with its own copy of the program). */
    static Result exhaustive(java.util.function.Supplier<Program> programs, Options o, int workers) {
        if (workers <= 1) {
            return exhaustive(programs.get(), o);
        }
        return Explorer.parallel(programs, o, workers, 1L << 30);
    }

    static Result random(Program p, long walks, long seed, Options.Progress progress, double maxSeconds) {
        return onBigStack(() -> new RandomWalk(p).run(walks, seed, progress, maxSeconds));
    }

    static <T> T onBigStack(Supplier<T> work) {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                result.set(work.get());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "mmcheck-explore", 1L << 30);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Throwable e = failure.get();
        if (e instanceof RuntimeException re) {
            throw re;
        }
        if (e instanceof Error err) {
            throw err;
        }
        return result.get();
    }
}
