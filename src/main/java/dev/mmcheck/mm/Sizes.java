package dev.mmcheck.mm;

/**
 * How many of each kernel object the model has room for. Exploration never allocates beyond these.
 * Page-table pages are pooled per level (which pfn the kernel would give them does not matter).
 * {@code pages} start in the buddy allocator; besides them each CPU starts with {@code pcpPages}
 * free pages of its own on its per-CPU list, as on a machine that has been running a while.
 * {@code swapSlots} is the size of each CPU's swap cluster.
 */
public record Sizes(int pages, int pudTables, int pmdTables, int pteTables, int vmas, int mms, int anonVmas, int swapSlots,
        int files, int filePages, int pcpPages) {
    public static Sizes defaults() {
        return new Sizes(8, 2, 3, 4, 6, 2, 3, 4, 1, 4, 0);
    }
}
