package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;

/**
 * struct per_cpu_pages: the order-0 free pages each CPU keeps for itself. A page freed on a CPU goes
 * on that CPU's list and that CPU's next allocations take it back; other CPUs get it only when
 * their own list and the buddy lists are empty (the kernel drains the lists then). One slot per CPU
 * (the set-up pseudo-CPU included), a bit per pfn, so only pfns below 64 are kept here; a larger pfn
 * goes straight back to the buddy lists.
 */
public final class PerCpuPages {
    public static final int MAX_PFN = 64;
    /** The slot of each CPU's list, indexed by CPU. */
    public final int[] lists;

    public PerCpuPages(Kernel k, int cpus) {
        lists = new int[cpus];
        for (int c = 0; c < cpus; c++) {
            lists[c] = k.layout.alloc("pcp" + c + ".free");
        }
    }
}
