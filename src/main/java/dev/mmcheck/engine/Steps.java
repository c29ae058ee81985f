package dev.mmcheck.engine;

/** What a model thread's code calls to take a step: every call is a scheduling point. */
public interface Steps {

    /** Runs {@code op} when the explorer schedules this thread; returns its result. */
    long step(Op op);

    /** The thread hit an assertion of the modelled code (a BUG_ON): the execution fails here. */
    void fail(String kind, String message);

    /**
     * The code is at a point where nothing its steps returned before matters any more, except
     * {@code key} (a system call has returned: what the CPU does next depends on the shared
     * memory, the key and its own code alone, and it holds no lock). Executions that reach the
     * point with the same key, right after a step, are then in the same local state. {@code key}
     * must tell apart the points of one thread's code that are not the same point.
     */
    default void boundary(long key) {}

    /** Index of the calling thread in its program. */
    int self();
}
