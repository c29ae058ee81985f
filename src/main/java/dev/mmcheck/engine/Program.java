package dev.mmcheck.engine;

import java.util.List;

/**
 * What the explorer explores: an initial memory, the threads, and the checks.
 *
 * @param stepChecks checked after every step (all reachable states are visited, so these are sound)
 * @param finalChecks checked once every thread has finished
 */
public record Program(Memory initial, List<ThreadSpec> threads, List<Check> stepChecks, List<Check> finalChecks) {

    public Program {
        if (threads.size() > 63) {
            throw new IllegalArgumentException("at most 63 threads");
        }
        threads = List.copyOf(threads);
        stepChecks = List.copyOf(stepChecks);
        finalChecks = List.copyOf(finalChecks);
    }

    /** A predicate over a state; returns null when it holds. Uses {@link Memory#peek} only. */
    @FunctionalInterface
    public interface Check {
        Violation check(Memory m);
    }
}
