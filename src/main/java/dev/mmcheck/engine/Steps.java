package dev.mmcheck.engine;

/** What a model thread's code calls to take a step: every call is a scheduling point. */
public interface Steps {

    /** Runs {@code op} when the explorer schedules this thread; returns its result. */
    long step(Op op);

    /** The thread hit an assertion of the modelled code (a BUG_ON): the execution fails here. */
    void fail(String kind, String message);

    /** Index of the calling thread in its program. */
    int self();
}
