package dev.mmcheck.mm.types;

/**
 * Page-table entry encodings and address arithmetic (x86-64, 4 KiB pages, four levels).
 * A present leaf pte holds a pfn and PRESENT|WRITE|DIRTY|YOUNG bits; a swap pte holds a swap slot;
 * an upper-level entry holds the id of the table it points to.
 */
public final class Pgtable {
    private Pgtable() {}

    public static final long PRESENT = 1;
    public static final long WRITE = 2;
    public static final long DIRTY = 4;
    public static final long YOUNG = 8;
    public static final long SWAP = 16;
    /** A nonlinear file pte (<= 3.19): not present, holds the file page offset. */
    public static final long FILE = 32;
    /** A migration entry: not present, names the page being migrated; faults on it wait for the migration. */
    public static final long MIGRATION = 64;
    /**
     * The shared zero page's pfn: a present pte for it (an anonymous read fault's) maps no page of
     * the model's pool (vm_normal_page() is NULL: no rmap, no refcount, no LRU, never mlocked).
     */
    public static final int ZERO_PFN = 0xfffff;
    /** _PAGE_PROTNONE: a present pte of a PROT_NONE vma; the CPU faults on any access through it. */
    public static final long PROTNONE = 128;

    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    public static final int PMD_SHIFT = 21;
    public static final long PMD_SIZE = 1L << PMD_SHIFT;
    public static final int PUD_SHIFT = 30;
    public static final long PUD_SIZE = 1L << PUD_SHIFT;
    public static final int PGDIR_SHIFT = 39;
    public static final int PTRS_PER_TABLE = 512;

    /** Table levels, named by what their entries are. */
    public enum Level {
        PTE(PAGE_SHIFT), PMD(PMD_SHIFT), PUD(PUD_SHIFT), PGD(PGDIR_SHIFT);

        public final int shift;

        Level(int shift) {
            this.shift = shift;
        }

        public int index(long addr) {
            return (int) ((addr >>> shift) & (PTRS_PER_TABLE - 1));
        }

        public long size() {
            return 1L << shift;
        }

        public String lower() {
            return name().toLowerCase();
        }
    }

    public static boolean present(long e) {
        return (e & PRESENT) != 0;
    }

    public static boolean none(long e) {
        return e == 0;
    }

    public static boolean isMigration(long e) {
        return (e & MIGRATION) != 0;
    }

    public static long mkMigrationPte(int pfn, boolean write) {
        return ((long) pfn << PAGE_SHIFT) | MIGRATION | (write ? WRITE : 0);
    }

    public static boolean isFile(long e) {
        return (e & FILE) != 0;
    }

    public static long mkFilePte(long pgoff) {
        return (pgoff << PAGE_SHIFT) | FILE;
    }

    public static boolean isSwap(long e) {
        return (e & SWAP) != 0;
    }

    public static long mkPte(int pfn, long bits) {
        return ((long) pfn << PAGE_SHIFT) | bits | PRESENT;
    }

    /** pte_mkspecial(pfn_pte(my_zero_pfn(addr), vma->vm_page_prot)): read-only. */
    public static long mkZeroPte() {
        return mkPte(ZERO_PFN, YOUNG);
    }

    /** A present pte of the zero page (is_zero_pfn(pte_pfn(pte))). */
    public static boolean isZero(long e) {
        return present(e) && pfn(e) == ZERO_PFN;
    }

    public static long mkSwapPte(int swapSlot) {
        return ((long) swapSlot << PAGE_SHIFT) | SWAP;
    }

    public static long mkTableEntry(int tableId) {
        return ((long) tableId << PAGE_SHIFT) | PRESENT;
    }

    public static int pfn(long e) {
        return (int) (e >>> PAGE_SHIFT);
    }

    public static int tableId(long e) {
        return (int) (e >>> PAGE_SHIFT);
    }

    public static int swapSlot(long e) {
        return (int) (e >>> PAGE_SHIFT);
    }

    /** How a pte reads in a trace. */
    public static String pteString(long e) {
        if (e == 0) {
            return "none";
        }
        if (isSwap(e)) {
            return "swap entry " + swapSlot(e);
        }
        if (isFile(e)) {
            return "file pte pgoff " + (e >>> PAGE_SHIFT);
        }
        if (isMigration(e)) {
            return "migration entry to pfn " + pfn(e);
        }
        StringBuilder sb = new StringBuilder(isZero(e) ? "zero page" : "pfn " + pfn(e));
        if ((e & WRITE) != 0) {
            sb.append(" w");
        }
        if ((e & DIRTY) != 0) {
            sb.append(" dirty");
        }
        if ((e & YOUNG) != 0) {
            sb.append(" young");
        }
        return sb.toString();
    }

    public static String tableEntryString(long e) {
        return e == 0 ? "none" : "T" + tableId(e);
    }

    public static String hex(long addr) {
        return "0x" + Long.toHexString(addr);
    }
}
