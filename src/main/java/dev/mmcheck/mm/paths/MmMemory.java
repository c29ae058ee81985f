package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.Entry;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;
import dev.mmcheck.mm.types.PageTable;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Pgtable.Level;
import dev.mmcheck.mm.types.SpinLock;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;
import java.util.ArrayList;
import java.util.List;

/**
 * mm/memory.c (and the x86 fault entry): page faults, page-table allocation, zapping ptes, and
 * freeing page tables.
 */
public final class MmMemory {
    private final Kernel k;

    public MmMemory(Kernel k) {
        this.k = k;
    }

    // ---- walking ------------------------------------------------------------------------

    public Entry pgdOffset(MmStruct mm, long addr) {
        return new Entry(mm.pgd, Level.PGD.index(addr));
    }

    /** pud_offset / pmd_offset / pte_offset_map: the entry below, in the table {@code upper} points to. */
    public Entry offset(long upper, Level level, long addr) {
        return new Entry(k.table(Pgtable.tableId(upper)), level.index(addr));
    }

    /** pte_lockptr(mm, pmd): the split lock of the PTE table the pmd points to now (reads *pmd). */
    @Mirrors(value = "pte_lockptr", file = "include/linux/mm.h", version = "5.12.9")
    public SpinLock pteLockptr(Entry pmd) {
        long pmdval = pmd.read("pte_lockptr: *pmd");
        return k.table(Pgtable.tableId(pmdval)).ptl;
    }

    /** pmd_lockptr(mm, pmd): the lock in the page of the PMD table holding the slot (or mm->page_table_lock). */
    @Mirrors(value = "pmd_lockptr", file = "include/linux/mm.h", version = "5.12.9")
    public SpinLock pmdLockptr(MmStruct mm, Entry pmd) {
        return k.config.splitPmdPtlocks() ? pmd.table().ptl : mm.pageTableLock;
    }

    @Mirrors(value = "pmd_lock", file = "include/linux/mm.h", version = "5.12.9")
    public SpinLock pmdLock(MmStruct mm, Entry pmd) {
        SpinLock ptl = pmdLockptr(mm, pmd);
        ptl.lock();
        return ptl;
    }

    /** pud_lockptr: always mm->page_table_lock. */
    @Mirrors(value = "pud_lock", file = "include/linux/mm.h", version = "5.12.9")
    public SpinLock pudLock(MmStruct mm) {
        mm.pageTableLock.lock();
        return mm.pageTableLock;
    }

    /** pte_offset_map_lock: the pte slot and its table's lock, held. */
    @Mirrors(value = "pte_offset_map_lock", file = "include/linux/mm.h", version = "5.12.9")
    public Entry pteOffsetMapLock(Entry pmd, long addr, SpinLock[] ptl) {
        long pmdval = pmd.read("pte_offset_map_lock: *pmd");
        PageTable t = k.table(Pgtable.tableId(pmdval));
        ptl[0] = t.ptl;
        t.ptl.lock();
        return new Entry(t, Level.PTE.index(addr));
    }

    // ---- allocating page tables ------------------------------------------------------------

    /** pud_alloc: the pud slot for addr, allocating a PUD table if the pgd entry is empty. */
    @Mirrors(value = "__pud_alloc", file = "mm/memory.c", version = "5.12.9")
    public Entry pudAlloc(MmStruct mm, Entry pgd, long addr) {
        long v = pgd.read("pgd_none(*pgd)?");
        if (Pgtable.none(v)) {
            PageTable nw = k.pageAlloc.allocTable(Level.PUD);
            mm.pageTableLock.lock();
            v = pgd.read("pgd_present(*pgd)?");
            if (Pgtable.none(v)) {
                v = Pgtable.mkTableEntry(nw.id);
                pgd.write(v, "pgd_populate(" + pgd + ", T" + nw.id + ")");
                nw = null;
            }
            mm.pageTableLock.unlock();
            if (nw != null) {
                k.pageAlloc.freeTable(nw);
            }
        }
        return offset(v, Level.PUD, addr);
    }

    /** pmd_alloc: the pmd slot for addr, allocating a PMD table if the pud entry is empty. */
    @Mirrors(value = "__pmd_alloc", file = "mm/memory.c", version = "5.12.9")
    public Entry pmdAlloc(MmStruct mm, Entry pud, long addr) {
        long v = pud.read("pud_none(*pud)?");
        if (Pgtable.none(v)) {
            PageTable nw = k.pageAlloc.allocTable(Level.PMD);
            mm.pageTableLock.lock();
            v = pud.read("pud_present(*pud)?");
            if (Pgtable.none(v)) {
                v = Pgtable.mkTableEntry(nw.id);
                pud.write(v, "pud_populate(" + pud + ", T" + nw.id + ")");
                nw = null;
            }
            mm.pageTableLock.unlock();
            if (nw != null) {
                k.pageAlloc.freeTable(nw);
            }
        }
        return offset(v, Level.PMD, addr);
    }

    /** __pte_alloc: install a PTE table under an empty pmd, under the pmd lock. */
    @Mirrors(value = "__pte_alloc", file = "mm/memory.c", version = "5.12.9")
    public void pteAlloc(MmStruct mm, Entry pmd) {
        PageTable nw = k.pageAlloc.allocTable(Level.PTE);
        SpinLock ptl = pmdLock(mm, pmd);
        if (Pgtable.none(pmd.read("pmd_none(*pmd)?"))) {
            pmd.write(Pgtable.mkTableEntry(nw.id), "pmd_populate(" + pmd + ", T" + nw.id + ")");
            nw = null;
        }
        ptl.unlock();
        if (nw != null) {
            k.pageAlloc.freeTable(nw);
        }
    }

    // ---- faults ---------------------------------------------------------------------------------

    /** The x86 fault entry: returns false for SIGSEGV. */
    @Mirrors(value = "do_user_addr_fault", file = "arch/x86/mm/fault.c", version = "5.12.9")
    public boolean doUserAddrFault(long addr, boolean write) {
        MmStruct mm = k.currentMm();
        mm.mmapLock.downRead();
        Vma vma = k.mmap.findVma(mm, addr);
        if (vma == null || k.mmap.readStart(vma) > addr) {
            mm.mmapLock.upRead();
            return false;
        }
        handleMmFault(vma, addr, write);
        mm.mmapLock.upRead();
        return true;
    }

    @Mirrors(value = "__handle_mm_fault", file = "mm/memory.c", version = "5.12.9")
    public void handleMmFault(Vma vma, long addr, boolean write) {
        MmStruct mm = vma.readMm();
        Entry pgd = pgdOffset(mm, addr);
        Entry pud = pudAlloc(mm, pgd, addr);
        Entry pmd = pmdAlloc(mm, pud, addr);
        handlePteFault(vma, mm, pmd, addr, write);
    }

    @Mirrors(value = "handle_pte_fault", file = "mm/memory.c", version = "5.12.9")
    void handlePteFault(Vma vma, MmStruct mm, Entry pmd, long addr, boolean write) {
        long pmdval = pmd.read("pmd_none(*vmf->pmd)?");
        long origPte = 0;
        if (!Pgtable.none(pmdval)) {
            origPte = offset(pmdval, Level.PTE, addr).read("vmf->orig_pte = *vmf->pte");
        }
        if (Pgtable.none(origPte)) {
            doAnonymousPage(vma, mm, pmd, addr);
            return;
        }
        if (!Pgtable.present(origPte)) {
            doSwapPage(vma, mm, pmd, addr, origPte);
            return;
        }
        SpinLock[] ptl = new SpinLock[1];
        Entry pte = pteOffsetMapLock(pmd, addr, ptl);
        long now = pte.read("pte_same(*vmf->pte, orig_pte)?");
        if (now == origPte) {
            long entry = origPte | Pgtable.YOUNG | (write ? Pgtable.DIRTY : 0);
            if (entry != origPte) {
                pte.write(entry, "ptep_set_access_flags(" + pte + ")");
            }
        }
        ptl[0].unlock();
    }

    @Mirrors(value = "do_anonymous_page", file = "mm/memory.c", version = "5.12.9")
    void doAnonymousPage(Vma vma, MmStruct mm, Entry pmd, long addr) {
        if (Pgtable.none(pmd.read("pte_alloc: pmd_none(*pmd)?"))) {
            pteAlloc(mm, pmd);
        }
        k.rmap.anonVmaPrepare(vma);
        Page page = k.pageAlloc.allocPage();
        long vmFlags = vma.readFlags();
        long entry = Pgtable.mkPte(page.pfn, (vmFlags & VmFlags.VM_WRITE) != 0 ? Pgtable.WRITE | Pgtable.DIRTY : 0);
        SpinLock[] ptl = new SpinLock[1];
        Entry pte = pteOffsetMapLock(pmd, addr, ptl);
        if (!Pgtable.none(pte.read("pte_none(*vmf->pte)?"))) {
            ptl[0].unlock();
            k.swapC.putPage(page);
            return;
        }
        k.rmap.pageAddNewAnonRmap(page, vma, addr);
        k.swapC.lruCacheAddInactiveOrUnevictable(page, vma);
        pte.write(entry, "set_pte_at(" + Pgtable.hex(addr) + ", " + Pgtable.pteString(entry) + ")");
        ptl[0].unlock();
    }

    /**
     * do_swap_page, reduced to what the races need: the swap-cache page is reused if still
     * there, else a new page is read in; the page lock and pte lock are taken as in the kernel.
     */
    @Mirrors(value = "do_swap_page", file = "mm/memory.c", version = "5.12.9")
    void doSwapPage(Vma vma, MmStruct mm, Entry pmd, long addr, long origPte) {
        int slot = Pgtable.swapSlot(origPte);
        Page page = k.swapC.lookupSwapCache(slot);
        if (page == null) {
            page = k.swapC.swapinReadahead(slot, vma);
        }
        page.lock();
        SpinLock[] ptl = new SpinLock[1];
        Entry pte = pteOffsetMapLock(pmd, addr, ptl);
        if (pte.read("pte_same(*vmf->pte, orig_pte)?") != origPte) {
            ptl[0].unlock();
            page.unlock();
            k.swapC.putPage(page);
            return;
        }
        long vmFlags = vma.readFlags();
        long entry = Pgtable.mkPte(page.pfn, (vmFlags & VmFlags.VM_WRITE) != 0 ? Pgtable.WRITE | Pgtable.DIRTY : 0);
        pte.write(entry, "set_pte_at(" + Pgtable.hex(addr) + ", " + Pgtable.pteString(entry) + ")");
        k.rmap.pageAddAnonRmap(page, vma, addr);
        k.swapC.swapFree(slot);
        k.swapC.tryToFreeSwap(page);
        ptl[0].unlock();
        page.unlock();
    }

    // ---- unmapping ------------------------------------------------------------------------

    /** ptep_clear_flush: clear the pte, then flush the TLB for this one address (if it was present). */
    @Mirrors(value = "ptep_clear_flush", file = "mm/pgtable-generic.c", version = "5.12.9")
    public long ptepClearFlush(Vma vma, long address, Entry ptep) {
        long pte = ptep.getAndClear("ptep_get_and_clear(" + Pgtable.hex(address) + ")");
        if (Pgtable.present(pte)) {
            k.tlbFlush.flushTlbPage(vma, address);
        }
        return pte;
    }

    /** The pages and page tables an unmap gathered; freed only after the TLB flush (struct mmu_gather). */
    public static final class MmuGather {
        final MmStruct mm;
        final List<Page> pages = new ArrayList<>();
        final List<PageTable> tables = new ArrayList<>();
        Vma flushVma;
        long start = Long.MAX_VALUE;
        long end;

        MmuGather(MmStruct mm) {
            this.mm = mm;
        }

        void range(Vma vma, long s, long e) {
            flushVma = vma;
            start = Math.min(start, s);
            end = Math.max(end, e);
        }
    }

    @Mirrors(value = "tlb_gather_mmu", file = "mm/mmu_gather.c", version = "5.12.9")
    public MmuGather tlbGatherMmu(MmStruct mm) {
        return new MmuGather(mm);
    }

    /** tlb_finish_mmu: flush the gathered range, then free what was gathered. */
    @Mirrors(value = "tlb_finish_mmu", file = "mm/mmu_gather.c", version = "5.12.9")
    public void tlbFinishMmu(MmuGather tlb) {
        if (tlb.flushVma != null && tlb.start < tlb.end) {
            k.tlbFlush.flushTlbRange(tlb.flushVma, tlb.start, tlb.end);
        }
        for (Page p : tlb.pages) {
            k.swapC.putPage(p);
        }
        for (PageTable t : tlb.tables) {
            k.pageAlloc.freeTable(t);
        }
    }

    /** unmap_page_range for one vma and range: zap every present pte below present upper entries. */
    @Mirrors(value = "unmap_page_range", file = "mm/memory.c", version = "5.12.9")
    public void unmapPageRange(MmuGather tlb, Vma vma, long addr, long end) {
        MmStruct mm = tlb.mm;
        for (long a = addr; a < end; ) {
            long next = Math.min(end, (a & ~(Level.PGD.size() - 1)) + Level.PGD.size());
            long pgdval = pgdOffset(mm, a).read("pgd_none_or_clear_bad(" + Pgtable.hex(a) + ")?");
            if (!Pgtable.none(pgdval)) {
                zapPudRange(tlb, vma, pgdval, a, next);
            }
            a = next;
        }
    }

    private void zapPudRange(MmuGather tlb, Vma vma, long pgdval, long addr, long end) {
        for (long a = addr; a < end; ) {
            long next = Math.min(end, (a & ~(Level.PUD.size() - 1)) + Level.PUD.size());
            long pudval = offset(pgdval, Level.PUD, a).read("pud_none_or_clear_bad(" + Pgtable.hex(a) + ")?");
            if (!Pgtable.none(pudval)) {
                zapPmdRange(tlb, vma, pudval, a, next);
            }
            a = next;
        }
    }

    private void zapPmdRange(MmuGather tlb, Vma vma, long pudval, long addr, long end) {
        for (long a = addr; a < end; ) {
            long next = Math.min(end, (a & ~(Level.PMD.size() - 1)) + Level.PMD.size());
            Entry pmd = offset(pudval, Level.PMD, a);
            if (!Pgtable.none(pmd.read("pmd_none_or_trans_huge_or_clear_bad(" + Pgtable.hex(a) + ")?"))) {
                zapPteRange(tlb, vma, pmd, a, next);
            }
            a = next;
        }
    }

    /**
     * zap_pte_range. Empty ptes are skipped in one step per run of them (read under the pte lock,
     * where nothing else can change them); each present or swap pte is its own sequence of steps.
     */
    @Mirrors(value = "zap_pte_range", file = "mm/memory.c", version = "5.12.9")
    public void zapPteRange(MmuGather tlb, Vma vma, Entry pmd, long addr, long end) {
        SpinLock[] ptl = new SpinLock[1];
        Entry first = pteOffsetMapLock(pmd, addr, ptl);
        PageTable t = first.table();
        int from = first.index();
        int to = from + (int) ((end - addr) >>> Pgtable.PAGE_SHIFT);
        for (int i = from; i < to; ) {
            int at = nextUsed(t, i, to);
            if (at < 0) {
                break;
            }
            long a = addr + ((long) (at - from) << Pgtable.PAGE_SHIFT);
            Entry pte = new Entry(t, at);
            long ptent = pte.getAndClear("ptep_get_and_clear_full(" + Pgtable.hex(a) + ")");
            if (Pgtable.present(ptent)) {
                Page page = k.page(Pgtable.pfn(ptent));
                tlb.range(vma, a, a + Pgtable.PAGE_SIZE);
                if ((ptent & Pgtable.DIRTY) != 0) {
                    page.setFlag(PageFlags.PG_dirty);
                }
                k.rmap.pageRemoveRmap(page);
                tlb.pages.add(page);
            } else if (Pgtable.isSwap(ptent)) {
                k.swapC.freeSwapAndCache(Pgtable.swapSlot(ptent));
            }
            i = at + 1;
        }
        ptl[0].unlock();
    }

    /** The next index in [from, to) whose entry is not none, or -1: one step, under the table's lock. */
    private int nextUsed(PageTable t, int from, int to) {
        return (int) k.load("next used pte in T" + t.id + "[" + from + ".." + (to - 1) + "]", m -> {
            for (int i = from; i < to; i++) {
                if (m.read(t.entrySlot(i)) != 0) {
                    return i;
                }
            }
            return -1;
        }, r -> r < 0 ? "none" : "[" + r + "]");
    }

    // ---- freeing page tables -----------------------------------------------------------------

    /**
     * free_pgd_range: free the page tables that only served [addr, end), given that nothing
     * below {@code floor} or from {@code ceiling} on may lose its tables (0 ceiling: no limit).
     */
    @Mirrors(value = "free_pgd_range", file = "mm/memory.c", version = "5.12.9")
    public void freePgdRange(MmuGather tlb, long addr, long end, long floor, long ceiling) {
        addr &= ~(Pgtable.PMD_SIZE - 1);
        if (addr < floor) {
            addr += Pgtable.PMD_SIZE;
        }
        if (ceiling != 0) {
            ceiling &= ~(Pgtable.PMD_SIZE - 1);
            if (ceiling == 0) {
                return;
            }
        }
        if (end - 1 > ceiling - 1) {
            end -= Pgtable.PMD_SIZE;
        }
        if (addr > end - 1) {
            return;
        }
        for (long a = addr; a != end; ) {
            long next = Math.min(end, (a & ~(Level.PGD.size() - 1)) + Level.PGD.size());
            Entry pgd = pgdOffset(tlb.mm, a);
            long pgdval = pgd.read("pgd_none_or_clear_bad(" + Pgtable.hex(a) + ")?");
            if (!Pgtable.none(pgdval)) {
                freePudRange(tlb, pgd, pgdval, a, next, floor, ceiling);
            }
            a = next;
        }
    }

    @Mirrors(value = "free_pud_range", file = "mm/memory.c", version = "5.12.9")
    void freePudRange(MmuGather tlb, Entry pgd, long pgdval, long addr, long end, long floor, long ceiling) {
        long start = addr;
        for (long a = addr; a != end; ) {
            long next = Math.min(end, (a & ~(Level.PUD.size() - 1)) + Level.PUD.size());
            Entry pud = offset(pgdval, Level.PUD, a);
            long pudval = pud.read("pud_none_or_clear_bad(" + Pgtable.hex(a) + ")?");
            if (!Pgtable.none(pudval)) {
                freePmdRange(tlb, pud, pudval, a, next, floor, ceiling);
            }
            a = next;
        }
        if (!coversWholeTable(start, end, floor, ceiling, Level.PGD.size())) {
            return;
        }
        PageTable pudTable = k.table(Pgtable.tableId(pgdval));
        pgd.write(0, "pgd_clear(" + pgd + ")");
        tlb.tables.add(pudTable);
    }

    @Mirrors(value = "free_pmd_range", file = "mm/memory.c", version = "5.12.9")
    void freePmdRange(MmuGather tlb, Entry pud, long pudval, long addr, long end, long floor, long ceiling) {
        long start = addr;
        for (long a = addr; a != end; ) {
            long next = Math.min(end, (a & ~(Level.PMD.size() - 1)) + Level.PMD.size());
            Entry pmd = offset(pudval, Level.PMD, a);
            long pmdval = pmd.read("pmd_none_or_clear_bad(" + Pgtable.hex(a) + ")?");
            if (!Pgtable.none(pmdval)) {
                // free_pte_range
                pmd.write(0, "pmd_clear(" + pmd + ")");
                tlb.tables.add(k.table(Pgtable.tableId(pmdval)));
            }
            a = next;
        }
        if (!coversWholeTable(start, end, floor, ceiling, Level.PUD.size())) {
            return;
        }
        pud.write(0, "pud_clear(" + pud + ")");
        tlb.tables.add(k.table(Pgtable.tableId(pudval)));
    }

    /** The tail test of free_pmd_range / free_pud_range: may the table covering start lose its parent entry? */
    private static boolean coversWholeTable(long start, long end, long floor, long ceiling, long size) {
        start &= ~(size - 1);
        if (start < floor) {
            return false;
        }
        if (ceiling != 0) {
            ceiling &= ~(size - 1);
            if (ceiling == 0) {
                return false;
            }
        }
        return !(end - 1 > ceiling - 1);
    }
}
