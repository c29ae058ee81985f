package dev.mmcheck.mm;

/**
 * Kernel build options and architecture facts the modelled paths depend on.
 *
 * @param splitPmdPtlocks PMD locks live in the PMD table's page (x86-64); otherwise they are mm->page_table_lock
 * @param haveMovePmd CONFIG_HAVE_MOVE_PMD: mremap may move a whole PTE table by its pmd entry
 * @param haveMovePud CONFIG_HAVE_MOVE_PUD: mremap may move a whole PMD table by its pud entry
 *
 * <p>Reclaim flushes each unmapped page's TLB entry at once (ptep_clear_flush), as on powerpc where
 * seed 003 was found; x86's batched unmap flush is not modelled.
 */
public record Config(boolean splitPmdPtlocks, boolean haveMovePmd, boolean haveMovePud) {
    public static Config defaults() {
        return new Config(true, true, true);
    }
}
