package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.ModelError;
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
        if (!Pgtable.present(pte) || (write && (pte & Pgtable.WRITE) == 0) || Pgtable.isZero(pte)) {
            ptl[0].unlock(); // the zero page: vm_normal_page() is NULL (populate checks it apart)
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

    /** __mm_populate: fault in and mlock [start, start + len) under mmap_lock for read; errors stop it. */
    public long mmPopulate(MmStruct mm, long start, long len) {
        return mmPopulate(mm, start, len, false);
    }

    /**
     * __mm_populate: fault in [start, start + len), vma by vma, under mmap_lock for read (before
     * 5.18 FOLL_MLOCK also mlocks the pages of a VM_LOCKED vma). With {@code ignoreErrors} (mmap,
     * mlockall, mremap) a vma that fails is skipped; otherwise the first error is returned
     * (-EFAULT: a page could not be faulted in).
     */
    @Mirrors(value = "__mm_populate", file = "mm/gup.c", version = "6.x")
    public long mmPopulate(MmStruct mm, long start, long len, boolean ignoreErrors) {
        long end = start + len;
        mm.mmapLock.downRead();
        for (long nstart = start; Long.compareUnsigned(nstart, end) < 0; ) {
            Vma vma = k.mmap.findVma(mm, nstart);
            if (vma == null || Long.compareUnsigned(k.mmap.readStart(vma), end) >= 0) {
                break;
            }
            long nend = Math.min(end, k.mmap.readEnd(vma));
            nstart = Math.max(nstart, k.mmap.readStart(vma));
            long done = populateVmaPageRange(vma, nstart, nend);
            if (done < nend) {
                if (!ignoreErrors) {
                    mm.mmapLock.upRead();
                    return -14; // EFAULT: a page could not be faulted in (beyond the end of its file, or PROT_NONE)
                }
                // ignore_errors: go on after the page that failed (the vma's rest is skipped by the next find_vma)
                nstart = nend;
                continue;
            }
            nstart = nend;
        }
        mm.mmapLock.upRead();
        return 0;
    }

    /**
     * populate_vma_page_range / __get_user_pages with FOLL_TOUCH, FOLL_WRITE for a private writable
     * vma (to break COW) or else a read (FOLL_FORCE, which a PROT_NONE vma refuses: EFAULT), and
     * before 5.18 FOLL_MLOCK. A VM_LOCKONFAULT vma is not populated (4.4+): before 5.18 its present
     * pages are mlocked (FOLL_MLOCK without FOLL_POPULATE), from 5.18 mlock_fixup did that. Returns
     * how far it got.
     */
    @Mirrors(value = "populate_vma_page_range", file = "mm/gup.c", version = "6.x")
    long populateVmaPageRange(Vma vma, long start, long end) {
        long flags = vma.readFlags();
        boolean onfault = k.has(Patch.MLOCK_ONFAULT) && (flags & VmFlags.VM_LOCKONFAULT) != 0;
        if (onfault && k.has(Patch.MLOCK_COUNT)) {
            return end; // 5.18+: "the VM_LOCKONFAULT case has never used faultin_page()"; the present pages were mlocked by mlock_fixup
        }
        if ((flags & (VmFlags.VM_READ | VmFlags.VM_WRITE)) == 0) {
            return start; // check_vma_flags: no VM_READ and no FOLL_FORCE for a PROT_NONE vma
        }
        boolean write = (flags & (VmFlags.VM_WRITE | VmFlags.VM_SHARED)) == VmFlags.VM_WRITE;
        boolean mlock = !k.has(Patch.MLOCK_COUNT);
        MmStruct mm = vma.readMm();
        for (long a = start; a < end; a += Pgtable.PAGE_SIZE) {
            long at = a;
            // A page per turn: whether it was there or had to be faulted in is forgotten after.
            if (k.summarized("__get_user_pages turn", () -> populatePage(vma, mm, at, mlock, write, onfault) ? 1 : 0) == 0) {
                return a;
            }
        }
        return end;
    }

    /** One page of __get_user_pages: follow_page_mask, and faultin_page until it is there; false if the fault failed. */
    private boolean populatePage(Vma vma, MmStruct mm, long a, boolean mlock, boolean write, boolean onfault) {
        for (int faults = 0; ; faults++) {
            Entry pmd = pmdOf(mm, a);
            if (pmd != null && follow(vma, a, pmd, mlock, write && !onfault)) {
                return true;
            }
            if (onfault) {
                return true; // 4.4 .. 5.17: no FOLL_POPULATE: mlock the present pages, fault in none
            }
            if (faults == MAX_FAULTS) {
                throw new ModelError("populate of " + Pgtable.hex(a) + " did not converge", null);
            }
            if (!k.memoryC.handleMmFault(vma, a, write)) {
                return false;
            }
        }
    }

    /**
     * follow_page_pte as populate uses it: is the page there (for a read, the zero page counts; for
     * a write, the pte must be writable)? With FOLL_MLOCK (before 5.18) a page of a VM_LOCKED vma is
     * mlocked here, under the pte lock, if its page lock can be taken without waiting.
     */
    @Mirrors(value = "follow_page_pte", file = "mm/gup.c", version = "3.16")
    private boolean follow(Vma vma, long address, Entry pmd, boolean mlock, boolean write) {
        SpinLock[] ptl = new SpinLock[1];
        Entry ptep = k.memoryC.pteOffsetMapLock(vma.readMm(), pmd, address, ptl);
        long pte = ptep.read("pte = *ptep");
        if (!Pgtable.present(pte) || (write && (pte & Pgtable.WRITE) == 0)) {
            ptl[0].unlock();
            return false;
        }
        if (Pgtable.isZero(pte)) {
            ptl[0].unlock();
            return true;
        }
        Page page = k.page(Pgtable.pfn(pte));
        if (mlock && (vma.readFlags() & VmFlags.VM_LOCKED) != 0) {
            if (page.readMapping() != 0 && page.trylock()) {
                k.mlock.mlockVmaPage(page);
                page.unlock();
            }
        }
        ptl[0].unlock();
        return true;
    }
}
