package dev.mmcheck.engine;

/**
 * What an exploration measured.
 *
 * @param executions complete executions reached (every thread finished, deadlocked or failed)
 * @param states states stored in the visited set (by fingerprint; 0 without state caching): every
 *     distinct state reached, but those inside a run of local steps after its first
 * @param transitions steps executed in all
 * @param maxDepth the longest execution, in steps
 * @param workers explorers that ran in parallel (threads)
 * @param visitedBytes memory the visited-state table held at the end
 * @param restarts times the search started again because something it learned contradicted a
 *     local step it had taken (executions and transitions count every run; states the last)
 */
public record Stats(long executions, long states, long transitions, int maxDepth, double seconds, int workers, long visitedBytes,
        int restarts) {

    public Stats(long executions, long states, long transitions, int maxDepth, double seconds) {
        this(executions, states, transitions, maxDepth, seconds, 1, 0, 0);
    }
}
