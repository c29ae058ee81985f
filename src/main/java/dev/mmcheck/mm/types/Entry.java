package dev.mmcheck.mm.types;

/** A pointer to one entry of a page table (a pgd_t *, pud_t *, pmd_t * or pte_t *). */
public record Entry(PageTable table, int index) {

    public long read(String what) {
        return table.read(index, what);
    }

    public void write(long value, String what) {
        table.write(index, value, what);
    }

    public long getAndClear(String what) {
        return table.getAndClear(index, what);
    }

    /** How the kernel would name the slot: "T3[5]". */
    @Override
    public String toString() {
        return "T" + table.id + "[" + index + "]";
    }
}
