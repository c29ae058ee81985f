package dev.mmcheck.mm;

/**
 * A kernel change that the model can apply or not. Variants of a scenario are sets of patches
 * applied to the model's base behaviour, so a patch's diff in the kernel is one test of
 * {@link Kernel#has} in the model.
 */
public enum Patch {
    /**
     * The seed-003 v7 proposal (not merged): page_vma_mapped_walk takes the PMD lock before reading
     * the pmd and holds it with the PTE lock until page_vma_mapped_walk_done.
     */
    PVMW_HOLDS_PMD_LOCK("v7 01/11", "mm/mremap: Fix race between MOVE_PMD mremap and pageout (v7: pmd lock in page_vma_mapped_walk)"),
    /**
     * The merged seed-003 fix (5.17 source): NORMAL_PMD and NORMAL_PUD moves always take the rmap
     * locks instead of only when need_rmap_locks says so.
     */
    MOVE_PGT_ALWAYS_RMAP_LOCKS("97113eb39fa7", "mm/mremap: hold the rmap lock in write mode when moving page table entries");

    public final String commit;
    public final String title;

    Patch(String commit, String title) {
        this.commit = commit;
        this.title = title;
    }
}
