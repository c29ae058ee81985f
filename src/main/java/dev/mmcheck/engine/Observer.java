package dev.mmcheck.engine;

/** Sees every outcome an exploration reaches: each distinct final state and each violation, with a schedule to it. */
public interface Observer {
    /** A final state (every thread finished, no check failed). The memory is only valid during the call. */
    void onFinal(Memory m, Schedule schedule);

    /** A violation, whether or not the search stops there. */
    void onViolation(Violation v, Schedule schedule);
}
