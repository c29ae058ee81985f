package dev.mmcheck.engine;

/** What a model thread's code calls to take a step: every call is a scheduling point. */
public interface Steps {

    /** Runs {@code op} when the explorer schedules this thread; returns its result. */
    long step(Op op);

    /** The thread hit an assertion of the modelled code (a BUG_ON): the execution fails here. */
    void fail(String kind, String message);

    /**
     * A summarized call begins: once it returns ({@link #endCall}) the thread's state keeps only
     * that it was made, with {@code key}, and what it returned; the steps inside, and what they
     * returned, are forgotten. So the call's code must depend on nothing but {@code key}, the state
     * before the call and shared memory, and tell its caller nothing but its result (no side effect
     * on the caller's variables); two executions must leave it holding the same locks. Calls nest.
     */
    default void beginCall(long key) {}

    /** The summarized call begun last returns {@code result}: all its caller learns from it. */
    default void endCall(long result) {}

    /** Index of the calling thread in its program. */
    int self();
}
