package dev.mmcheck.mm.types;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.mm.Kernel;

/**
 * How many TLB entries, over every CPU, cache each pfn: bookkeeping of the model (the kernel has no
 * such count), kept by every fill and invalidation of an entry. Freeing a page asks it whether some
 * TLB still maps the page, reading one slot of that page instead of every CPU's TLB, so the free
 * and TLB traffic on other pages commute.
 */
public final class TlbReach {
    private final int[] counts;

    public TlbReach(Kernel k, int pages) {
        counts = new int[pages];
        for (int pfn = 0; pfn < pages; pfn++) {
            counts[pfn] = k.layout.alloc("page" + pfn + ".tlb_entries");
        }
    }

    /** Whether some TLB caches {@code pfn}, inside a step. */
    public boolean cached(Memory m, int pfn) {
        return pfn < counts.length && m.read(counts[pfn]) != 0;
    }

    /** An entry caching {@code pfn} was filled (or, with -1, invalidated or replaced), inside a step. */
    public void count(Memory m, int pfn, int delta) {
        if (pfn < counts.length) {
            m.write(counts[pfn], m.read(counts[pfn]) + delta);
        }
    }
}
