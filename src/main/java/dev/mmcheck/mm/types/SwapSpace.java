package dev.mmcheck.mm.types;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.mm.Kernel;

/**
 * A swap device: per slot, the swap_map count and the swap-cache page (pfn + 1, or 0).
 *
 * <p>The device is a solid-state one, as swap on a machine of today is: each CPU allocates from a
 * cluster of its own ({@code si->percpu_cluster}), so two CPUs swapping out at once take slots
 * apart and never look at each other's. The slots are laid out cluster by cluster, one cluster of
 * {@link #perCpu} slots per CPU (the set-up pseudo-CPU last).
 */
public final class SwapSpace {
    public final int[] map;
    public final int[] cache;
    /** Slots in each CPU's cluster (the scenario's {@code swap-slots}). */
    public final int perCpu;

    public SwapSpace(Kernel k, int perCpu) {
        this.perCpu = perCpu;
        int slots = perCpu * (k.cpus + 1);
        map = new int[slots];
        cache = new int[slots];
        for (int i = 0; i < slots; i++) {
            map[i] = k.layout.alloc("swap_map[" + i + "]");
            cache[i] = k.layout.alloc("swap_cache[" + i + "]");
        }
    }

    /** The first free slot (no swap pte refers to it, no page in the swap cache for it) in [from, to), or -1. */
    public int firstFree(Memory m, int from, int to) {
        for (int i = from; i < to; i++) {
            if (m.read(map[i]) == 0 && m.read(cache[i]) == 0) {
                return i;
            }
        }
        return -1;
    }

    /** The first slot of CPU {@code cpu}'s cluster. */
    public int clusterOf(int cpu) {
        return cpu * perCpu;
    }
}
