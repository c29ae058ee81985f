package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;

/**
 * One CPU's TLB: a few entries, each caching (mm, virtual page) -> pfn. Packed in one slot:
 * bit 63 valid, bits 55..58 the mm, bits 20..54 the virtual page, bits 0..19 the pfn.
 */
public final class Tlb {
    public static final int ENTRIES = 4;
    public final int cpu;
    public final int[] entries = new int[ENTRIES];

    public Tlb(Kernel k, int cpu) {
        this.cpu = cpu;
        for (int i = 0; i < ENTRIES; i++) {
            entries[i] = k.layout.alloc("tlb" + cpu + "[" + i + "]");
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
