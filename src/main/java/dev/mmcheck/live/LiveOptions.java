package dev.mmcheck.live;

import java.time.Duration;

/**
 * How {@link LiveRunner} runs a program.
 *
 * @param drain   how the kernel's per-CPU LRU and mlock batches are settled before each observation
 * @param cpu     the CPU to pin the program's processes to; -1 picks the highest CPU this JVM may use
 * @param timeout a run that takes longer is killed and reported as a harness error
 */
public record LiveOptions(Drain drain, int cpu, Duration timeout) {
    public static final LiveOptions DEFAULT = new LiveOptions(Drain.ALL_CPUS, -1, Duration.ofSeconds(30));

    /** Ways to settle the per-CPU folio batches before an observation. */
    public enum Drain {
        /** move_pages(2) with an empty page list: lru_cache_disable() drains every CPU and waits (falls back to PINNED_CPU without NUMA). */
        ALL_CPUS,
        /** mlock(2) of a scratch page by a puppet, on the CPU the puppets are pinned to: lru_add_drain() there. */
        PINNED_CPU,
        /** No drain: only to measure what an unsettled observation looks like. */
        NONE
    }

    public LiveOptions withDrain(Drain d) {
        return new LiveOptions(d, cpu, timeout);
    }

    public LiveOptions withCpu(int c) {
        return new LiveOptions(drain, c, timeout);
    }
}
