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

    /** Performs the step and returns what the thread learns from it. */
    long run(Memory m);

    /** How the step reads in a trace, given its result. */
    String describe(long result);

    /** What a waiting thread waits for, for deadlock reports. */
    default String waitsFor() {
        return describe(0);
    }
}
