package dev.mmcheck.engine;

/**
 * One atomic step of a model thread: the unit the explorer interleaves.
 *
 * <p>An op touches shared state only through the {@link Memory} it is given, so the same op can
 * run in any execution that reaches it. What it reads and writes is recorded as it runs; the
 * explorer derives dependencies between steps from that record, never from declarations.
 */
public interface Op {

    /** False while the step cannot happen (a lock that is held): the thread waits here. */
    default boolean enabled(Memory m) {
        return true;
    }

    /**
     * For a step that takes a lock whenever its guard lets it run (spin_lock, down_read, ...): the
     * slot of that lock ({@link Memory#acquired}), else -1. What such a guard reads is then read
     * only by a step that gets the lock, so a thread holding the lock keeps it out, and that
     * holder's unlock can be taken alone. The engine checks that the step does take it.
     */
    default int guardLock() {
        return -1;
    }

    /** Whether {@link #guardLock} is taken shared. */
    default boolean guardLockShared() {
        return false;
    }

    /** Performs the step and returns what the thread learns from it. */
    long run(Memory m);

    /** How the step reads in a trace, given its result. */
    String describe(long result);

    /** What a waiting thread waits for, for deadlock reports. */
    default String waitsFor() {
        return describe(0);
    }
}
