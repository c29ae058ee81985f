package dev.mmcheck.engine;

/** One thread (a CPU) of a program: a name for traces and the code it runs. */
public record ThreadSpec(String name, Body body) {

    /**
     * The thread's code. It must be deterministic given the results its steps return, and must
     * reach shared state only through steps: the engine re-runs it to resume it.
     */
    @FunctionalInterface
    public interface Body {
        void run(Steps steps);
    }
}
