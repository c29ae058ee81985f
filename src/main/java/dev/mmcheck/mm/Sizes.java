package dev.mmcheck.mm;

/**
 * How many of each kernel object the model has room for. Exploration never allocates beyond these.
 * Page-table pages are pooled per level (which pfn the kernel would give them does not matter).
 */
public record Sizes(int pages, int pudTables, int pmdTables, int pteTables, int vmas, int mms, int anonVmas, int swapSlots,
        int files, int filePages) {
    public static Sizes defaults() {
        return new Sizes(8, 2, 3, 4, 6, 2, 3, 4, 1, 4);
    }
}
