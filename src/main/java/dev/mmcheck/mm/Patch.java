package dev.mmcheck.mm;

/**
 * A kernel change the model can apply or not. A kernel generation is the set of patches merged by
 * then ({@link #since}); a scenario variant is a generation plus or minus patches, so a patch's
 * diff in the kernel is a test of {@link Kernel#has} in the model. Commit ids are given where they
 * were checked; otherwise the title says what the change is.
 */
public enum Patch {
    /** Seed 001 fix: try_to_unmap_cluster mlocks pages other than the one reclaim holds only under trylock_page. */
    CLUSTER_MLOCK_TRYLOCK(Generation.K3_16, "", "try_to_unmap_cluster: trylock_page before mlocking other pages of the cluster"),
    /** Seed 001, Kosaki's proposal: skip pages already PageMlocked, else trylock as the merged fix does. */
    CLUSTER_MLOCK_KOSAKI(null, "", "try_to_unmap_cluster: if (!PageMlocked(page) && trylock_page(page)) mlock it (proposal)"),
    /** Seed 001 experiment: 3.13's cluster scan with mlock_vma_page's BUG_ON(!PageLocked) removed. */
    MLOCK_WITHOUT_PAGE_LOCK_BUG_ON(null, "", "mlock_vma_page without BUG_ON(!PageLocked(page)) (experiment for Kosaki's claim)"),
    /** i_mmap_mutex became i_mmap_rwsem and rmap_walk_file takes it for read (3.19). */
    I_MMAP_RWSEM(Generation.K4_4, "", "mm: convert i_mmap_mutex to rwsem; rmap walks take it for read"),
    /** The state seed 000 names: unmap_mapping_range took i_mmap_rwsem for read, reverted by 48ec833b7851. */
    UNMAP_MAPPING_RANGE_SHARED_I_MMAP(null, "48ec833b7851^", "mm/memory.c: share the i_mmap_rwsem (reverted by 48ec833b7851)"),
    /** 5.x: try_to_unmap_one no longer tests and clears the young bit (reclaim decided that already). */
    TTU_NO_YOUNG_CHECK(Generation.K5_12, "", "try_to_unmap_one: no ptep_clear_flush_young test (TTU_IGNORE_ACCESS gone)"),
    /** Nonlinear vmas (remap_file_pages) and their cluster scan were removed in 4.0. */
    NO_NONLINEAR_VMAS(Generation.K4_4, "", "mm: remove the nonlinear vma machinery (remap_file_pages emulated)"),
    /** 5.11: isolate_lru_page tests and clears PG_lru before taking the lru lock. */
    TEST_CLEAR_PAGE_LRU(Generation.K5_12, "", "mm/lru: introduce TestClearPageLRU()"),
    /** Seed 000: try_to_unmap_one mlocks the page under the pte lock instead of the mmap_sem read trylock. */
    TTU_MLOCK_UNDER_PTL(Generation.K4_4, "b87537d9e2fe", "mm: rmap use pte lock not mmap_sem to set PageMlocked"),
    /** Seed 000, same commit: TTU_MUNLOCK skips a vma whose VM_LOCKED is clear before touching page tables. */
    TTU_MUNLOCK_SKIP(Generation.K4_4, "b87537d9e2fe", "try_to_unmap_one: TTU_MUNLOCK skips vmas without VM_LOCKED"),
    /** Seed 002 as posted: page_mlock_one mlocks without re-checking VM_LOCKED under the pte lock. */
    PAGE_MLOCK_SEED_TEXT(null, "", "mm/rmap: split try_to_munlock from try_to_unmap (as posted)"),
    /** Seed 002 as merged: page_mlock_one re-checks VM_LOCKED under the pte lock but returns still holding it. */
    PAGE_MLOCK_SPLIT(Generation.K5_17, "cd62734ca60d", "mm/rmap: split try_to_munlock from try_to_unmap"),
    /** Hugh Dickins' follow-up: page_mlock_one keeps walking when VM_LOCKED is clear (no premature return). */
    PAGE_MLOCK_NO_PREMATURE_RETURN(Generation.K5_17, "", "mm/rmap: fix new bug: premature return from page_mlock_one()"),
    /**
     * The seed-003 v7 proposal (not merged): page_vma_mapped_walk takes the PMD lock before reading
     * the pmd and holds it with the PTE lock until page_vma_mapped_walk_done.
     */
    PVMW_HOLDS_PMD_LOCK(null, "", "mm/mremap: Fix race between MOVE_PMD mremap and pageout (v7: pmd lock in page_vma_mapped_walk)"),
    /** The merged seed-003 fix: NORMAL_PMD and NORMAL_PUD moves always take the rmap locks. */
    MOVE_PGT_ALWAYS_RMAP_LOCKS(Generation.K5_17, "", "mm/mremap: hold the rmap lock in write mode when moving page table entries"),
    /** 4.14: munlock's Phase 1 counts NR_MLOCK for every page it test-and-clears (before, a page whose isolation failed was not counted). */
    MUNLOCK_NR_MLOCK_FIX(Generation.K5_12, "", "mlock: fix mlock count can not decrease in race condition (4.14)"),
    /** 4.19 ("mm, oom: fix concurrent munlock and oom reaper unmap"): exit_mmap reaps an OOM victim itself and sets MMF_OOM_SKIP. */
    EXIT_MMAP_OOM_VICTIM_REAP(Generation.K5_12, "", "exit_mmap: __oom_reap_task_mm and MMF_OOM_SKIP for an OOM victim"),
    /** Same change: after setting MMF_OOM_SKIP, exit_mmap cycles mmap_lock for write (removed by seed 004). */
    EXIT_MMAP_OOM_LOCK_CYCLE(Generation.K5_12, "", "exit_mmap: mmap_write_lock(); mmap_write_unlock() after setting MMF_OOM_SKIP for an OOM victim"),
    /** 5.18's mlock rework: the OOM reaper no longer skips VM_LOCKED vmas. */
    OOM_REAP_LOCKED_VMAS(Generation.K5_19, "", "mm/oom_kill: the reaper skips only VM_HUGETLB and VM_PFNMAP vmas (mlock rework)"),
    /** Seed 004: exit_mmap holds mmap_lock for write from unlock_range to the end (replacing the lock cycle). */
    EXIT_MMAP_WRITE_LOCK(Generation.K5_17, "", "mm: exit_mmap: hold mmap_lock for write over unlock_range, unmap_vmas, free_pgtables and remove_vma"),
    /** Seed 004's negative control: the write lock taken only around free_pgtables. */
    EXIT_MMAP_LATE_WRITE_LOCK(null, "", "exit_mmap taking mmap_lock for write only around free_pgtables (negative control)"),
    /** 5.16 to 5.17: process_mrelease pins only mm_count (mmgrab) and re-checks MMF_OOM_SKIP under mmap_lock. */
    PROCESS_MRELEASE_MMGRAB(Generation.K5_17, "", "mm: process_mrelease: mmgrab instead of mmget_not_zero, MMF_OOM_SKIP checked under mmap_lock"),
    /** 5.18's mlock rework: exit_mmap no longer munlocks (no unlock_range). */
    EXIT_MMAP_NO_UNLOCK_RANGE(Generation.K5_19, "", "mm/munlock: exit_mmap no longer needs unlock_range (mlock rework)"),
    /** 5.19: exit_mmap sets mm->mmap = NULL before dropping mmap_lock. */
    EXIT_MMAP_MMAP_NULL(Generation.K5_19, "", "mm: exit_mmap sets mm->mmap to NULL after freeing the vmas"),
    /** 3.15: a read fault on a file page also maps the neighbouring pages already in the page cache (fault_around_bytes = 64K). */
    FAULT_AROUND(Generation.K3_16, "8c6e50b0290c", "mm: introduce do_fault_around()"),
    /** 4.4: mlock2(MLOCK_ONFAULT), mlockall(MCL_ONFAULT) and VM_LOCKONFAULT; before, mlock2 is ENOSYS and MCL_ONFAULT EINVAL. */
    MLOCK_ONFAULT(Generation.K4_4, "b0f205c2a308", "mm: mlock: add mlock flags to enable VM_LOCKONFAULT usage"),
    /** 4.6: mprotect making a private VM_LOCKED vma writable populates it, breaking COW at once. */
    MPROTECT_LOCKED_POPULATE(Generation.K5_12, "36f881883c57", "mm: fix mprotect() behaviour on VM_LOCKED VMAs"),
    /** 5.7: mremap(MREMAP_DONTUNMAP) moves the pages and leaves the old vma in place, empty and no longer VM_LOCKED. */
    MREMAP_DONTUNMAP(Generation.K5_12, "e346b3813067", "mm/mremap: add MREMAP_DONTUNMAP to mremap()"),
    /**
     * 5.18's mlock rework (Hugh Dickins): page->mlock_count counts the VM_LOCKED vmas mapping an
     * unevictable page; mapping a page into a VM_LOCKED vma mlocks it and unmapping it munlocks it
     * (rmap); mlock_fixup walks the present ptes (mlock_pte_range); munlock uses the count, not an
     * rmap walk; populate no longer mlocks (no FOLL_MLOCK).
     */
    MLOCK_COUNT(Generation.K5_19, "07ca76067308", "mm/munlock: maintain page->mlock_count while unevictable (and the rest of the 5.18 mlock rework)"),
    /** 5.18: a page freed with PG_mlocked still set has it cleared silently (UNEVICTABLE_PGCLEARED), no Bad page state. */
    FREE_CLEARS_MLOCKED(Generation.K5_19, "", "mm/munlock: __page_cache_release clears PG_mlocked of a freed page (UNEVICTABLE_PGCLEARED)"),
    /** 6.17: an mremap(MREMAP_FIXED) move without resize may span several vmas (and gaps after the first). */
    MREMAP_MULTI_VMA(Generation.K6, "", "mm/mremap: permit mremap() move of multiple VMAs"),
    /**
     * Kirill Shutemov's concern (seed 000), a fault model, not a patch: a read-modify-write of
     * vm_flags may publish an intermediate value with VM_LOCKED set before the final value.
     */
    TORN_VM_FLAGS(null, "", "fault model: vm_flags updates may publish a torn intermediate value with VM_LOCKED");

    /** The first modelled generation that has it; null for proposals, experiments and fault models. */
    public final Generation since;
    public final String commit;
    public final String title;

    Patch(Generation since, String commit, String title) {
        this.since = since;
        this.commit = commit;
        this.title = title;
    }
}
