package dev.mmcheck.report;

import java.util.ArrayList;
import java.util.List;

/** A seed-003 style trace: mremap's PMD move racing with reclaim and a user access. */
final class Samples {
    private Samples() {}

    static final List<String> MREMAP = List.of("sys_mremap", "mremap_to", "move_vma", "move_page_tables");
    static final List<String> MOVE_PMD = List.of("sys_mremap", "mremap_to", "move_vma", "move_page_tables",
            "move_pgt_entry", "move_normal_pmd");
    static final List<String> RECLAIM = List.of("shrink_page_list", "try_to_unmap", "rmap_walk_anon",
            "try_to_unmap_one");
    static final List<String> PVMW = List.of("shrink_page_list", "try_to_unmap", "rmap_walk_anon",
            "try_to_unmap_one", "page_vma_mapped_walk");
    static final List<String> USER = List.of("user_write");

    static TraceView seed003() {
        List<TraceView.Row> rows = new ArrayList<>();
        rows.add(new TraceView.Row(0, "down_write(mm0.mmap_lock)", List.of("sys_mremap"), false));
        rows.add(new TraceView.Row(0, "get_extent -> 0x200000", MREMAP, false));
        rows.add(new TraceView.Row(0, "pmd_lock(old_pmd)", MOVE_PMD, false));
        rows.add(new TraceView.Row(0, "pmd = *old_pmd; pmd_clear(old_pmd) -> T5", MOVE_PMD, false));
        rows.add(new TraceView.Row(0, "flush_tlb_range(0x40000000)", MOVE_PMD, false));
        rows.add(new TraceView.Row(1, "lock_page(pfn 0)", List.of("shrink_page_list"), true));
        rows.add(new TraceView.Row(1, "pvmw: pte_lock(T5)", PVMW, false));
        rows.add(new TraceView.Row(1, "pte = *pte -> pfn 0", PVMW, false));
        rows.add(new TraceView.Row(0, "*new_pmd = pmd (T5)", MOVE_PMD, true));
        rows.add(new TraceView.Row(2, "write 0x40200000 -> pfn 0", USER, true));
        rows.add(new TraceView.Row(0, "spin_unlock(pmd_ptl)", MOVE_PMD, false));
        rows.add(new TraceView.Row(0, "up_write(mm0.mmap_lock)", List.of("sys_mremap"), false));
        rows.add(new TraceView.Row(1, "ptep_clear_flush(0x40000000) flushes CPU1 and CPU0 but not the new address",
                RECLAIM, true));
        rows.add(new TraceView.Row(1, "free_page(pfn 0)", List.of("shrink_page_list"), false));
        return new TraceView("s003-move-pmd-vs-reclaim", "base",
                List.of("CPU0 mremap", "CPU1 reclaim", "CPU2 user"), rows,
                "STALE_TLB", "pfn 0 freed while CPU2's TLB still maps 0x40200000 -> pfn 0", 4,
                "mmcheck replay mmcheck-trace-s003.json");
    }
}
