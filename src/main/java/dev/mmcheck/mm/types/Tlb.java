package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;

/**
 * One CPU's TLB, direct-mapped: the low bits of the virtual page number pick the one entry that may
 * cache it, as they pick the set of a real TLB. An entry caches (mm, virtual page) -> pfn, packed in
 * one slot: bit 63 valid, bits 55..58 the mm, bits 20..54 the virtual page, bits 0..19 the pfn.
 * Direct mapping is why a flush of one page looks at one entry per CPU: it and an access to another
 * page touch different slots, and commute.
 */
public final class Tlb {
    public static final int ENTRIES = 16;
    public final int cpu;
    public final int[] entries = new int[ENTRIES];

    public Tlb(Kernel k, int cpu) {
        this.cpu = cpu;
        for (int i = 0; i < ENTRIES; i++) {
            entries[i] = k.layout.alloc("tlb" + cpu + "[" + i + "]");
        }
    }

    /** The entry that may cache {@code vaddr}. */
    public int entry(long vaddr) {
        return entries[(int) ((vaddr >>> Pgtable.PAGE_SHIFT) & (ENTRIES - 1))];
    }

    /** Calls {@code f} with each entry that may cache a page of [start, end), once. */
    public void forEachEntry(long start, long end, java.util.function.IntConsumer f) {
        long pages = (end - start) >>> Pgtable.PAGE_SHIFT;
        if (pages >= ENTRIES) {
            for (int e : entries) {
                f.accept(e);
            }
            return;
        }
        for (long a = start & ~(Pgtable.PAGE_SIZE - 1); a < end; a += Pgtable.PAGE_SIZE) {
            f.accept(entry(a));
        }
    }

    public static long pack(int mm, long vaddr, int pfn) {
        return (1L << 63) | ((long) mm << 55) | ((vaddr >>> Pgtable.PAGE_SHIFT) << 20) | pfn;
    }

    public static boolean valid(long e) {
        return e < 0;
    }

    public static int mm(long e) {
        return (int) ((e >>> 55) & 0xf);
    }

    public static long vaddr(long e) {
        return ((e >>> 20) & ((1L << 35) - 1)) << Pgtable.PAGE_SHIFT;
    }

    public static int pfn(long e) {
        return (int) (e & 0xfffff);
    }
}
