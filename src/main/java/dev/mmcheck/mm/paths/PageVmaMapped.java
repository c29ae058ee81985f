package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.mm.types.Entry;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Pgtable.Level;
import dev.mmcheck.mm.types.SpinLock;
import dev.mmcheck.mm.types.Vma;

/**
 * mm/page_vma_mapped.c: find the pte that maps a page in a vma and return holding its lock. The
 * upper levels are read without any lock; the PTE table is whatever the pmd points to when read.
 */
public final class PageVmaMapped {
    private final Kernel k;

    public PageVmaMapped(Kernel k) {
        this.k = k;
    }

    /** struct page_vma_mapped_walk: the walker's own (thread-local) state. */
    public static final class Walk {
        final Page page;
        final Vma vma;
        final long address;
        Entry pmd;
        Entry pte;
        SpinLock ptl;
        /** Only with the v7 patch: the PMD lock held across the walk. */
        SpinLock pmdPtl;

        public Walk(Page page, Vma vma, long address) {
            this.page = page;
            this.vma = vma;
            this.address = address;
        }
    }

    /** For a small page: true once, holding the pte lock, if the pte at pvmw.address maps the page. */
    @Mirrors(value = "page_vma_mapped_walk", file = "mm/page_vma_mapped.c", version = "5.12.9")
    public boolean pageVmaMappedWalk(Walk pvmw) {
        if (pvmw.pte != null) {
            // next_pte: a small page has no further ptes to look at.
            return notFound(pvmw);
        }
        MmStruct mm = pvmw.vma.readMm();
        long pgd = k.memoryC.pgdOffset(mm, pvmw.address).read("pgd_present(*pgd)?");
        if (!Pgtable.present(pgd)) {
            return false;
        }
        long pud = k.memoryC.offset(pgd, Level.PUD, pvmw.address).read("pud_present(*pud)?");
        if (!Pgtable.present(pud)) {
            return false;
        }
        pvmw.pmd = k.memoryC.offset(pud, Level.PMD, pvmw.address);
        if (k.has(Patch.PVMW_HOLDS_PMD_LOCK)) {
            pvmw.pmdPtl = k.memoryC.pmdLock(mm, pvmw.pmd);
        }
        long pmde = pvmw.pmd.read("pmde = READ_ONCE(*pvmw->pmd)");
        if (!Pgtable.present(pmde)) {
            return notFound(pvmw);
        }
        if (!mapPte(pvmw)) {
            return notFound(pvmw);
        }
        if (checkPte(pvmw)) {
            return true;
        }
        return notFound(pvmw);
    }

    /** map_pte: the pte slot in the table the pmd points to now; a quick lockless look, then the lock. */
    @Mirrors(value = "map_pte", file = "mm/page_vma_mapped.c", version = "5.12.9")
    boolean mapPte(Walk pvmw) {
        long pmdval = pvmw.pmd.read("pte_offset_map(pvmw->pmd)");
        if (!Pgtable.present(pmdval)) {
            return false;
        }
        pvmw.pte = k.memoryC.offset(pmdval, Level.PTE, pvmw.address);
        if (!Pgtable.present(pvmw.pte.read("pte_present(*pvmw->pte)?"))) {
            return false;
        }
        pvmw.ptl = k.memoryC.pteLockptr(pvmw.vma.readMm(), pvmw.pmd);
        pvmw.ptl.lock();
        return true;
    }

    /** check_pte: does the (locked) pte map our page? */
    @Mirrors(value = "check_pte", file = "mm/page_vma_mapped.c", version = "5.12.9")
    boolean checkPte(Walk pvmw) {
        long pte = pvmw.pte.read("check_pte: *pvmw->pte");
        return Pgtable.present(pte) && Pgtable.pfn(pte) == pvmw.page.pfn;
    }

    @Mirrors(value = "not_found", file = "mm/page_vma_mapped.c", version = "5.12.9")
    boolean notFound(Walk pvmw) {
        pageVmaMappedWalkDone(pvmw);
        return false;
    }

    @Mirrors(value = "page_vma_mapped_walk_done", file = "include/linux/rmap.h", version = "5.12.9")
    public void pageVmaMappedWalkDone(Walk pvmw) {
        if (pvmw.ptl != null) {
            pvmw.ptl.unlock();
            pvmw.ptl = null;
        }
        if (pvmw.pmdPtl != null) {
            pvmw.pmdPtl.unlock();
            pvmw.pmdPtl = null;
        }
    }
}
