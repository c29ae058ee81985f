package dev.mmcheck.engine;

/**
 * How to explore.
 *
 * @param preemptionBound at most this many preemptions per execution; -1 for no bound
 * @param sleepSets prune transitions already covered by an equivalent order (ignored under a preemption bound)
 * @param localSteps take a step no other thread can interfere with at once, without trying the
 *     other threads first ({@link AccessSummary}; ignored under a preemption bound)
 * @param stateCaching skip states already explored (64-bit fingerprints)
 * @param stopAtFirst stop at the first violation
 * @param kind only count violations of this kind (null: any)
 * @param maxStates stop with INCOMPLETE after this many states stored (0: no limit)
 * @param maxSeconds stop with INCOMPLETE after this long (0: no limit)
 * @param maxMemory bytes the visited-state table may take; INCOMPLETE rather than running out (0: half the heap)
 * @param progress told how far the run is, about every 100 ms (may be null)
 * @param transactions once a thread takes a lock in a step that commutes with what every other
 *     thread does after it, run it on alone to its next step of another kind (Lipton's
 *     reduction; with local steps only)
 * @param pastSlack how many steps beyond its deepest known access to a slot another thread must be
 *     before that access counts as its past for local steps ({@link AccessSummary}); tests set 0,
 *     the strictest use of the rule
 * @param mergeHistories what a summarized call ({@link Steps#beginCall}) did inside is forgotten
 *     once it returns: states that differ only there are one state (with state caching)
 * @param lockBarriers for local steps, an access another thread makes only after taking a lock is
 *     kept out by a holder of that lock until that thread takes it ({@link Taken})
 * @param atomicSections for persistent sets, a step that takes a lock stands for its whole critical
 *     section, which touches only its data, when every section of that lock runs whole (with local
 *     steps, without a preemption bound)
 */
public record Options(
        int preemptionBound,
        boolean sleepSets,
        boolean localSteps,
        boolean stateCaching,
        boolean stopAtFirst,
        String kind,
        long maxStates,
        double maxSeconds,
        long maxMemory,
        Progress progress,
        boolean transactions,
        int pastSlack,
        boolean mergeHistories,
        boolean lockBarriers,
        boolean atomicSections) {

    public static Options exhaustive() {
        return new Options(-1, true, true, true, true, null, 0, 0, 0, null, true, 8, true, true, true);
    }

    public Options withPreemptionBound(int b) {
        return new Options(b, sleepSets, localSteps, stateCaching, stopAtFirst, kind, maxStates, maxSeconds, maxMemory, progress, transactions, pastSlack, mergeHistories, lockBarriers, atomicSections);
    }

    public Options withSleepSets(boolean on) {
        return new Options(preemptionBound, on, localSteps, stateCaching, stopAtFirst, kind, maxStates, maxSeconds, maxMemory, progress, transactions, pastSlack, mergeHistories, lockBarriers, atomicSections);
    }

    public Options withStateCaching(boolean on) {
        return new Options(preemptionBound, sleepSets, localSteps, on, stopAtFirst, kind, maxStates, maxSeconds, maxMemory, progress, transactions, pastSlack, mergeHistories, lockBarriers, atomicSections);
    }

    public Options withStopAtFirst(boolean on) {
        return new Options(preemptionBound, sleepSets, localSteps, stateCaching, on, kind, maxStates, maxSeconds, maxMemory, progress, transactions, pastSlack, mergeHistories, lockBarriers, atomicSections);
    }

    public Options withKind(String k) {
        return new Options(preemptionBound, sleepSets, localSteps, stateCaching, stopAtFirst, k, maxStates, maxSeconds, maxMemory, progress, transactions, pastSlack, mergeHistories, lockBarriers, atomicSections);
    }

    public Options withBudget(long states, double seconds) {
        return new Options(preemptionBound, sleepSets, localSteps, stateCaching, stopAtFirst, kind, states, seconds, maxMemory, progress, transactions, pastSlack, mergeHistories, lockBarriers, atomicSections);
    }

    public Options withMemory(long bytes) {
        return new Options(preemptionBound, sleepSets, localSteps, stateCaching, stopAtFirst, kind, maxStates, maxSeconds, bytes, progress, transactions, pastSlack, mergeHistories, lockBarriers, atomicSections);
    }

    /** The memory budget in bytes, resolving 0 to half of the heap. */
    long memoryBudget() {
        return maxMemory > 0 ? maxMemory : Runtime.getRuntime().maxMemory() / 2;
    }

    public Options withProgress(Progress p) {
        return new Options(preemptionBound, sleepSets, localSteps, stateCaching, stopAtFirst, kind, maxStates, maxSeconds, maxMemory, p, transactions, pastSlack, mergeHistories, lockBarriers, atomicSections);
    }

    public Options withPastSlack(int steps) {
        return new Options(preemptionBound, sleepSets, localSteps, stateCaching, stopAtFirst, kind, maxStates, maxSeconds, maxMemory, progress, transactions, steps, mergeHistories, lockBarriers, atomicSections);
    }

    public Options withTransactions(boolean on) {
        return new Options(preemptionBound, sleepSets, localSteps, stateCaching, stopAtFirst, kind, maxStates, maxSeconds, maxMemory, progress, on, pastSlack, mergeHistories, lockBarriers, atomicSections);
    }

    public Options withLocalSteps(boolean on) {
        return new Options(preemptionBound, sleepSets, on, stateCaching, stopAtFirst, kind, maxStates, maxSeconds, maxMemory, progress, transactions, pastSlack, mergeHistories, lockBarriers, atomicSections);
    }

    public Options withMergeHistories(boolean on) {
        return new Options(preemptionBound, sleepSets, localSteps, stateCaching, stopAtFirst, kind, maxStates, maxSeconds, maxMemory, progress, transactions, pastSlack, on, lockBarriers, atomicSections);
    }

    public Options withLockBarriers(boolean on) {
        return new Options(preemptionBound, sleepSets, localSteps, stateCaching, stopAtFirst, kind, maxStates, maxSeconds, maxMemory, progress, transactions, pastSlack, mergeHistories, on, atomicSections);
    }

    public Options withAtomicSections(boolean on) {
        return new Options(preemptionBound, sleepSets, localSteps, stateCaching, stopAtFirst, kind, maxStates, maxSeconds, maxMemory, progress, transactions, pastSlack, mergeHistories, lockBarriers, on);
    }

    boolean localStepsActive() {
        return localSteps && preemptionBound < 0;
    }

    boolean sleepSetsActive() {
        return sleepSets && preemptionBound < 0;
    }

    /** Receives running totals while exploring. */
    @FunctionalInterface
    public interface Progress {
        void update(long executions, long states, long transitions, double seconds);

        /** Still learning what the CPUs touch, before the search (a big scenario can take a while). */
        default void learning(double seconds) {}
    }
}
