package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.ModelError;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.Entry;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Pgtable.Level;
import dev.mmcheck.mm.types.SpinLock;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;

/** mm/gup.c: following a user address to its page, and populating (faulting in and mlocking) a range. */
public final class Gup {
    private static final int MAX_FAULTS = 3;
    private final Kernel k;

    public Gup(Kernel k) {
        this.k = k;
    }

    /** The pmd slot for addr if the upper levels are present, else null (a lockless walk). */
    Entry pmdOf(MmStruct mm, long address) {
        long pgd = k.memoryC.pgdOffset(mm, address).read("pgd_none(*pgd)?");
        if (!Pgtable.present(pgd)) {
            return null;
        }
        long pud = k.memoryC.offset(pgd, Level.PUD, address).read("pud_none(*pud)?");
        if (!Pgtable.present(pud)) {
            return null;
        }
        Entry pmd = k.memoryC.offset(pud, Level.PMD, address);
        return Pgtable.present(pmd.read("pmd_none(*pmd)?")) ? pmd : null;
    }

    /** follow_page_mask(vma, address, FOLL_GET | FOLL_DUMP): the mapped page, pinned, or null. */
    @Mirrors(value = "follow_page_mask", file = "mm/gup.c", version = "3.16")
    public Page followPageMask(Vma vma, long address, boolean get) {
        Entry pmd = pmdOf(vma.readMm(), address);
        if (pmd == null) {
            return null;
        }
        return followPagePte(vma, address, pmd, get, false, false);
    }

    /**
     * follow_page_pte. With FOLL_MLOCK, a page mapped in a VM_LOCKED vma is mlocked here, under the
     * pte lock, if its page lock can be taken without waiting; if not, it is left for reclaim.
     */
    @Mirrors(value = "follow_page_pte", file = "mm/gup.c", version = "3.16")
    Page followPagePte(Vma vma, long address, Entry pmd, boolean get, boolean mlock, boolean write) {
        SpinLock[] ptl = new SpinLock[1];
        Entry ptep = k.memoryC.pteOffsetMapLock(vma.readMm(), pmd, address, ptl);
        long pte = ptep.read("pte = *ptep");
        if (!Pgtable.present(pte) || (write && (pte & Pgtable.WRITE) == 0)) {
            ptl[0].unlock();
            return null;
        }
        Page page = k.page(Pgtable.pfn(pte));
        if (get) {
            page.get();
        }
        if (mlock && (vma.readFlags() & VmFlags.VM_LOCKED) != 0) {
            if (page.readMapping() != 0 && page.trylock()) {
                k.mlock.mlockVmaPage(page);
                page.unlock();
            }
        }
        ptl[0].unlock();
        return page;
    }

    /** get_locked_pte: the pte slot for addr (tables exist: the caller has a page mapped there), locked. */
    @Mirrors(value = "get_locked_pte", file = "mm/memory.c", version = "3.16")
    Entry getLockedPte(MmStruct mm, long addr, SpinLock[] ptl) {
        Entry pmd = pmdOf(mm, addr);
        if (pmd == null) {
            throw new ModelError("get_locked_pte found no page table at " + Pgtable.hex(addr), null);
        }
        return k.memoryC.pteOffsetMapLock(mm, pmd, addr, ptl);
    }

    /** __mm_populate: fault in and mlock [start, start + len) under mmap_lock for read. */
    @Mirrors(value = "__mm_populate", file = "mm/gup.c", version = "3.16")
    public long mmPopulate(MmStruct mm, long start, long len) {
        long end = start + len;
        mm.mmapLock.downRead();
        for (long nstart = start; nstart < end; ) {
            Vma vma = k.mmap.findVma(mm, nstart);
            if (vma == null || k.mmap.readStart(vma) >= end) {
                break;
            }
            long nend = Math.min(end, k.mmap.readEnd(vma));
            nstart = Math.max(nstart, k.mmap.readStart(vma));
            if (!populateVmaPageRange(vma, nstart, nend)) {
                mm.mmapLock.upRead();
                return -14; // EFAULT: a page could not be faulted in (beyond the end of its file)
            }
            nstart = nend;
        }
        mm.mmapLock.upRead();
        return 0;
    }

    /** populate_vma_page_range / __get_user_pages with FOLL_TOUCH | FOLL_MLOCK (| FOLL_WRITE to break COW). */
    @Mirrors(value = "__mlock_vma_pages_range", file = "mm/mlock.c", version = "3.16")
    boolean populateVmaPageRange(Vma vma, long start, long end) {
        long flags = vma.readFlags();
        boolean write = (flags & (VmFlags.VM_WRITE | VmFlags.VM_SHARED)) == VmFlags.VM_WRITE;
        MmStruct mm = vma.readMm();
        for (long a = start; a < end; a += Pgtable.PAGE_SIZE) {
            for (int faults = 0; ; faults++) {
                Entry pmd = pmdOf(mm, a);
                Page page = pmd == null ? null : followPagePte(vma, a, pmd, false, true, write);
                if (page != null) {
                    break;
                }
                if (faults == MAX_FAULTS) {
                    throw new ModelError("populate of " + Pgtable.hex(a) + " did not converge", null);
                }
                if (!k.memoryC.handleMmFault(vma, a, write)) {
                    return false;
                }
            }
        }
        return true;
    }

}
