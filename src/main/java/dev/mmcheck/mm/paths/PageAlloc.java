package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.engine.ModelError;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;
import dev.mmcheck.mm.types.PageTable;
import dev.mmcheck.mm.types.PerCpuPages;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Tlb;

/** mm/page_alloc.c: handing out pages and taking them back, with the free-time checks. */
public final class PageAlloc {
    private final Kernel k;

    public PageAlloc(Kernel k) {
        this.k = k;
    }

    /**
     * alloc_page, order 0, with one reference: from this CPU's own list (rmqueue_pcplist; its lowest
     * pfn), else the lowest pfn in the buddy lists, else (the kernel drains the lists then) from the
     * list of the lowest other CPU that has one. So a page freed on one CPU is not handed to another
     * while that one has other pages: the CPUs' allocations do not depend on each other's frees.
     */
    @Mirrors(value = "alloc_pages", file = "mm/page_alloc.c", version = "5.12.9")
    public Page allocPage() {
        int cpu = k.cpu();
        int pfn = (int) k.load("alloc_page()", m -> {
            int[] lists = k.pcp.lists;
            long mine = m.read(lists[cpu]);
            if (mine != 0) {
                return takeFromList(m, lists[cpu], mine);
            }
            for (int i = 0; i < k.pageCount(); i++) {
                Page p = k.page(i);
                if (m.read(p.buddy) != 0) {
                    m.write(p.buddy, 0);
                    return take(m, p);
                }
            }
            for (int c = 0; c < lists.length; c++) {
                long other = c == cpu ? 0 : m.read(lists[c]);
                if (other != 0) {
                    return takeFromList(m, lists[c], other);
                }
            }
            return -1;
        }, r -> "pfn " + r);
        if (pfn < 0) {
            throw new ModelError("the model ran out of pages: raise the scenario's 'pages' size", null);
        }
        return k.page(pfn);
    }

    private int takeFromList(Memory m, int list, long pfns) {
        int pfn = Long.numberOfTrailingZeros(pfns);
        m.write(list, pfns & ~(1L << pfn));
        return take(m, k.page(pfn));
    }

    private static int take(Memory m, Page p) {
        m.write(p.allocated, 1);
        m.write(p.refcount, 1);
        return p.pfn;
    }

    /**
     * free_unref_page after the last reference went: free_pages_prepare's checks (bad_page with
     * PAGE_FLAGS_CHECK_AT_FREE, <= 5.17), and the rule the kernel relies on without checking it:
     * no TLB may still translate to the page.
     */
    @Mirrors(value = "free_unref_page", file = "mm/page_alloc.c", version = "5.12.9")
    public void freeUnrefPage(Page page) {
        int list = k.pcp.lists[k.cpu()];
        k.step("free_unref_page(" + page.name() + ")", null, m -> {
            if ((m.read(page.mapping) & Page.MAPPING_ANON) != 0) {
                m.write(page.mapping, 0); // free_pages_prepare clears an anon page's mapping first
            }
            String bad = badReason(m, page);
            if (bad != null) {
                m.violate(Kinds.BAD_PAGE, "BUG: Bad page state pfn:" + page.pfn + " (" + bad + ")");
            }
            if (k.tlbReach.cached(m, page.pfn)) {
                staleTlb(m, page); // which CPU, for the report: read every TLB only now
            }
            m.write(page.allocated, 0);
            if (page.pfn < PerCpuPages.MAX_PFN) {
                m.write(list, m.read(list) | 1L << page.pfn); // free_unref_page_commit: onto this CPU's list
            } else {
                m.write(page.buddy, 1);
            }
            page.write(m, PageFlags.ALL, 0);
            m.write(page.mapcount, 0);
            m.write(page.mapping, 0);
            m.write(page.index, 0);
            m.write(page.privateSlot, 0);
            m.write(page.lru, 0);
            m.write(page.mlockCount, 0);
            return 0;
        });
    }

    private void staleTlb(Memory m, Page page) {
        for (Tlb tlb : k.tlbs()) {
            for (int e : tlb.entries) {
                long v = m.read(e);
                if (Tlb.valid(v) && Tlb.pfn(v) == page.pfn) {
                    m.violate(Kinds.STALE_TLB, "pfn " + page.pfn + " freed while CPU" + tlb.cpu
                            + "'s TLB still maps " + Pgtable.hex(Tlb.vaddr(v)) + " -> pfn " + page.pfn);
                    return;
                }
            }
        }
    }

    private static String badReason(Memory m, Page page) {
        long mapcount = m.read(page.mapcount);
        if (mapcount != 0) {
            return "nonzero mapcount " + mapcount;
        }
        if (m.read(page.mapping) != 0) {
            return "non-NULL mapping";
        }
        if (m.read(page.refcount) != 0) {
            return "nonzero _refcount";
        }
        long flags = page.flags(m, PageFlags.CHECK_AT_FREE);
        if (flags != 0) {
            return "PAGE_FLAGS_CHECK_AT_FREE flag(s) set: " + PageFlags.names(flags);
        }
        return null;
    }

    /** pte_alloc_one / pmd_alloc_one / pud_alloc_one: a zeroed page-table page of that level. */
    @Mirrors(value = "pte_alloc_one", file = "include/asm-generic/pgalloc.h", version = "5.12.9")
    public PageTable allocTable(Pgtable.Level level) {
        int id = (int) k.load(level.lower() + "_alloc_one()", m -> {
            for (int i = 0; i < k.tableCount(); i++) {
                PageTable t = k.table(i);
                if (t.level == level && m.read(t.allocated) == 0) {
                    m.write(t.allocated, 1);
                    return i;
                }
            }
            return -1;
        }, r -> "T" + r);
        if (id < 0) {
            throw new ModelError("the model ran out of " + level.lower()
                    + " tables: raise the scenario's '" + level.lower() + "-tables' size", null);
        }
        return k.table(id);
    }

    /** pte_free / pmd_free / pud_free. The table must be empty, as the kernel leaves it. */
    @Mirrors(value = "pte_free", file = "include/asm-generic/pgalloc.h", version = "5.12.9")
    public void freeTable(PageTable t) {
        k.step(t.level.lower() + "_free(T" + t.id + ")", null, m -> {
            if (m.read(t.allocated) == 0) {
                m.violate(Kinds.PGTABLE_UAF, t.name() + " freed twice");
            }
            for (int i = 0; i < Pgtable.PTRS_PER_TABLE; i++) {
                if (m.peek(t.entrySlot(i)) != 0) {
                    m.violate(Kinds.BUG_ON, t.name() + " freed while entry " + i + " is still set");
                }
            }
            m.write(t.allocated, 0);
            return 0;
        });
    }
}
