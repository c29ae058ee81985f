package dev.mmcheck.mm;

/**
 * Kernel build options and architecture facts the modelled paths depend on.
 *
 * @param splitPtePtlocks PTE locks live in each PTE table's page (USE_SPLIT_PTE_PTLOCKS); otherwise every
 *     pte is guarded by mm->page_table_lock
 * @param splitPmdPtlocks PMD locks live in the PMD table's page (x86-64); otherwise they are mm->page_table_lock
 * @param haveMovePmd CONFIG_HAVE_MOVE_PMD: mremap may move a whole PTE table by its pmd entry
 * @param haveMovePud CONFIG_HAVE_MOVE_PUD: mremap may move a whole PMD table by its pud entry
 *
 * <p>Reclaim flushes each unmapped page's TLB entry at once (ptep_clear_flush), as arm64 does in 5.12
 * (x86 batches the unmap flush and then flushes whole TLBs, which the model does not do).
 */
public record Config(boolean splitPtePtlocks, boolean splitPmdPtlocks, boolean haveMovePmd, boolean haveMovePud) {
    public static Config defaults() {
        return new Config(true, true, true, true);
    }
}
