package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.mm.types.AddressSpace;
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

    // ---- mm->flags ----------------------------------------------------------------------

    public boolean testMmFlag(MmStruct mm, int bit) {
        return k.load("test_bit(" + mmFlagName(bit) + ", &" + mm.name() + "->flags)", m -> (m.read(mm.flags) >>> bit) & 1, Kernel::yesNo) == 1;
    }

    public void setMmFlag(MmStruct mm, int bit) {
        k.step("set_bit(" + mmFlagName(bit) + ", &" + mm.name() + "->flags)", null, m -> {
            m.write(mm.flags, m.read(mm.flags) | (1L << bit));
            return 0;
        });
    }

    static String mmFlagName(int bit) {
        return switch (bit) {
            case MmStruct.MMF_OOM_SKIP -> "MMF_OOM_SKIP";
            case MmStruct.MMF_UNSTABLE -> "MMF_UNSTABLE";
            case MmStruct.MMF_OOM_VICTIM -> "MMF_OOM_VICTIM";
            case MmStruct.MMF_OOM_REAP_QUEUED -> "MMF_OOM_REAP_QUEUED";
            default -> "bit " + bit;
        };
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
    public SpinLock pteLockptr(MmStruct mm, Entry pmd) {
        long pmdval = pmd.read("pte_lockptr: *pmd");
        if (!k.config.splitPtePtlocks()) {
            return mm.pageTableLock;
        }
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
    public Entry pteOffsetMapLock(MmStruct mm, Entry pmd, long addr, SpinLock[] ptl) {
        long pmdval = pmd.read("pte_offset_map_lock: *pmd");
        PageTable t = k.table(Pgtable.tableId(pmdval));
        ptl[0] = k.config.splitPtePtlocks() ? t.ptl : mm.pageTableLock;
        ptl[0].lock();
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

    /** The x86 fault entry: returns false for SIGSEGV or SIGBUS. */
    public boolean doUserAddrFault(long addr, boolean write) {
        return userFault(addr, write) == 0;
    }

    /**
     * do_user_addr_fault: 0 if the fault was handled, else the signal it ends in: {@link User#SEGV_MAPERR}
     * (no vma), {@link User#SEGV_ACCERR} (access_error: a write to a vma without VM_WRITE, any access
     * to a PROT_NONE one), {@link User#BUS_ADRERR} (a file page beyond the end of the file). The
     * vma's flags are read with find_vma in one step: they only change under mmap_lock for write.
     */
    @Mirrors(value = "do_user_addr_fault", file = "arch/x86/mm/fault.c", version = "5.12.9")
    public int userFault(long addr, boolean write) {
        MmStruct mm = k.currentMm();
        mm.mmapLock.downRead();
        long found = k.load("find_vma(" + mm.name() + ", " + Pgtable.hex(addr) + ")", m -> {
            for (long v = m.read(mm.mmap); v != 0; v = m.read(k.vma((int) v - 1).next)) {
                if (m.read(k.vma((int) v - 1).end) > addr) {
                    return v | (m.read(k.vma((int) v - 1).flags) << 8);
                }
            }
            return 0;
        }, r -> r == 0 ? "NULL" : "V" + ((r & 0xff) - 1));
        Vma vma = found == 0 ? null : k.vma((int) (found & 0xff) - 1);
        if (vma == null || k.mmap.readStart(vma) > addr) {
            mm.mmapLock.upRead();
            return User.SEGV_MAPERR;
        }
        long flags = found >>> 8;
        if (write ? (flags & VmFlags.VM_WRITE) == 0 : (flags & (VmFlags.VM_READ | VmFlags.VM_WRITE)) == 0) {
            mm.mmapLock.upRead();
            return User.SEGV_ACCERR; // access_error
        }
        boolean ok = handleMmFault(vma, addr, write);
        mm.mmapLock.upRead();
        return ok ? 0 : User.BUS_ADRERR;
    }

    /**
     * handle_mm_fault: false for VM_FAULT_SIGBUS / SIGSEGV (a file page beyond the end of the file,
     * a write to a read-only vma). Which way the fault went is forgotten once it returns: the caller
     * looks at the page tables again.
     */
    @Mirrors(value = "handle_mm_fault", file = "mm/memory.c", version = "5.12.9")
    public boolean handleMmFault(Vma vma, long addr, boolean write) {
        return k.summarized("handle_mm_fault", () -> doHandleMmFault(vma, addr, write) ? 1 : 0) == 1;
    }

    @Mirrors(value = "__handle_mm_fault", file = "mm/memory.c", version = "5.12.9")
    private boolean doHandleMmFault(Vma vma, long addr, boolean write) {
        MmStruct mm = vma.readMm();
        Entry pgd = pgdOffset(mm, addr);
        Entry pud = pudAlloc(mm, pgd, addr);
        Entry pmd = pmdAlloc(mm, pud, addr);
        return handlePteFault(vma, mm, pmd, addr, write);
    }

    @Mirrors(value = "handle_pte_fault", file = "mm/memory.c", version = "5.12.9")
    boolean handlePteFault(Vma vma, MmStruct mm, Entry pmd, long addr, boolean write) {
        long pmdval = pmd.read("pmd_none(*vmf->pmd)?");
        long origPte = 0;
        if (!Pgtable.none(pmdval)) {
            origPte = offset(pmdval, Level.PTE, addr).read("vmf->orig_pte = *vmf->pte");
        }
        long file = k.load(vma.name() + "->vm_file", m -> m.read(vma.file), r -> r == 0 ? "NULL" : "mapping" + (r - 1));
        if (Pgtable.none(origPte) || Pgtable.isFile(origPte)) {
            if (file == 0) {
                doAnonymousPage(vma, mm, pmd, addr, write);
                return true;
            }
            return doFault(vma, mm, pmd, addr, write, k.file((int) file - 1), origPte);
        }
        if (!Pgtable.present(origPte)) {
            doSwapPage(vma, mm, pmd, addr, origPte);
            return true;
        }
        if (write && (origPte & Pgtable.WRITE) == 0) {
            return doWpPage(vma, mm, pmd, addr, origPte);
        }
        SpinLock[] ptl = new SpinLock[1];
        Entry pte = pteOffsetMapLock(mm, pmd, addr, ptl);
        long now = pte.read("pte_same(*vmf->pte, orig_pte)?");
        if (now == origPte) {
            long entry = origPte | Pgtable.YOUNG | (write ? Pgtable.DIRTY : 0);
            if (entry != origPte) {
                pte.write(entry, "ptep_set_access_flags(" + pte + ")");
            }
        }
        ptl[0].unlock();
        return true;
    }

    /** change_protection to read-only: write-protect every present pte of the range, then flush. */
    @Mirrors(value = "change_pte_range", file = "mm/mprotect.c", version = "3.16")
    void changeProtection(MmStruct mm, Vma vma, long start, long end) {
        for (long a = start; a < end; a += Pgtable.PAGE_SIZE) {
            Entry pmd = k.gup.pmdOf(mm, a);
            if (pmd == null) {
                continue;
            }
            SpinLock[] ptl = new SpinLock[1];
            Entry pte = pteOffsetMapLock(mm, pmd, a, ptl);
            long v = pte.read("*pte");
            if (Pgtable.present(v) && (v & Pgtable.WRITE) != 0) {
                pte.write(v & ~Pgtable.WRITE, "ptep_modify_prot_commit(" + Pgtable.hex(a) + ", read-only)");
            }
            ptl[0].unlock();
        }
        k.tlbFlush.flushTlbRange(vma, start, end);
    }

    /** install_file_pte (remap_file_pages): zap what is mapped at addr, then map file page pgoff there. */
    @Mirrors(value = "install_file_pte", file = "mm/fremap.c", version = "3.16")
    void installFilePte(MmStruct mm, Vma vma, long addr, AddressSpace mapping, long pgoff) {
        Entry pud = pudAlloc(mm, pgdOffset(mm, addr), addr);
        Entry pmd = pmdAlloc(mm, pud, addr);
        if (Pgtable.none(pmd.read("pte_alloc: pmd_none(*pmd)?"))) {
            pteAlloc(mm, pmd);
        }
        Page page = k.filemap.filemapFault(mapping, pgoff);
        if (page == null) {
            return;
        }
        SpinLock[] ptl = new SpinLock[1];
        Entry pte = pteOffsetMapLock(mm, pmd, addr, ptl);
        long old = pte.getAndClear("zap_pte(" + Pgtable.hex(addr) + ")");
        if (Pgtable.present(old)) {
            Page oldPage = k.page(Pgtable.pfn(old));
            k.rmap.pageRemoveRmap(oldPage);
            k.tlbFlush.flushTlbPage(vma, addr);
            k.swapC.putPage(oldPage);
        }
        k.rmap.pageAddFileRmap(page);
        long entry = Pgtable.mkPte(page.pfn, 0);
        pte.write(entry, "set_pte_at(" + Pgtable.hex(addr) + ", " + Pgtable.pteString(entry) + ")");
        ptl[0].unlock();
        page.unlock();
    }

    /** do_fault: a file page: read it, copy it for a private write (do_cow_fault), or share it. */
    @Mirrors(value = "do_fault", file = "mm/memory.c", version = "3.16")
    boolean doFault(Vma vma, MmStruct mm, Entry pmd, long addr, boolean write, AddressSpace mapping, long origPte) {
        if (Pgtable.none(pmd.read("pte_alloc: pmd_none(*pmd)?"))) {
            pteAlloc(mm, pmd);
        }
        long vmFlags = vma.readFlags();
        long pgoff = Pgtable.isFile(origPte) ? origPte >>> Pgtable.PAGE_SHIFT : Rmap.linearPageIndex(k.mmap.readStart(vma),
                k.load(vma.name() + "->vm_pgoff", m -> m.read(vma.pgoff), Long::toString), addr);
        boolean shared = (vmFlags & VmFlags.VM_SHARED) != 0;
        if (write && !shared) {
            return doCowFault(vma, mm, pmd, addr, mapping, pgoff, origPte);
        }
        if (!write && Pgtable.none(origPte) && k.has(Patch.FAULT_AROUND) && doFaultAround(vma, mm, pmd, addr, mapping, pgoff, vmFlags)) {
            return true;
        }
        Page page = k.filemap.filemapFault(mapping, pgoff);
        if (page == null) {
            return false; // VM_FAULT_SIGBUS
        }
        SpinLock[] ptl = new SpinLock[1];
        Entry pte = pteOffsetMapLock(mm, pmd, addr, ptl);
        if (pte.read("pte_same(*pte, orig_pte)?") != origPte) {
            ptl[0].unlock();
            page.unlock();
            k.swapC.putPage(page);
            return true;
        }
        long bits = Pgtable.YOUNG | (write ? Pgtable.DIRTY | Pgtable.WRITE : 0)
                | (shared && (vmFlags & VmFlags.VM_WRITE) != 0 ? Pgtable.WRITE : 0);
        long entry = Pgtable.mkPte(page.pfn, bits);
        k.rmap.pageAddFileRmap(page);
        if (k.has(Patch.MLOCK_COUNT) && (vmFlags & VmFlags.VM_LOCKED) != 0) {
            k.mlock.mlockFolio(page); // folio_add_file_rmap_ptes -> mlock_vma_folio
        }
        pte.write(entry, "do_set_pte(" + Pgtable.hex(addr) + ", " + Pgtable.pteString(entry) + ")");
        if (write) {
            page.setFlag(PageFlags.PG_dirty);
        }
        page.unlock();
        ptl[0].unlock();
        return true;
    }

    /** fault_around_bytes / PAGE_SIZE. */
    static final int FAULT_AROUND_PAGES = 16;

    /**
     * do_fault_around + filemap_map_pages: before reading the faulting page, map the pages of the
     * 16-page window around it (clamped to the vma and the PTE table) that are already in the page
     * cache and whose ptes are empty, in one step under the pte lock. Returns whether the faulting
     * page itself got mapped (then the fault is done).
     */
    @Mirrors(value = "do_fault_around", file = "mm/memory.c", version = "6.x")
    boolean doFaultAround(Vma vma, MmStruct mm, Entry pmd, long addr, AddressSpace mapping, long pgoff, long vmFlags) {
        long vmStart = k.mmap.readStart(vma);
        long vmPages = (k.mmap.readEnd(vma) - vmStart) >>> Pgtable.PAGE_SHIFT;
        long ptoff = Level.PTE.index(addr);
        long vmaOff = (addr - vmStart) >>> Pgtable.PAGE_SHIFT;
        long fromPte = Math.max(ptoff & ~(FAULT_AROUND_PAGES - 1), ptoff - Math.min(ptoff, vmaOff));
        long toPte = Math.min(Math.min(fromPte + FAULT_AROUND_PAGES, Pgtable.PTRS_PER_TABLE), ptoff + vmPages - vmaOff) - 1;
        long first = pgoff + fromPte - ptoff;
        long last = pgoff + toPte - ptoff;
        long base = addr - ((ptoff - fromPte) << Pgtable.PAGE_SHIFT);
        boolean shared = (vmFlags & VmFlags.VM_SHARED) != 0;
        long bits = Pgtable.YOUNG | (shared && (vmFlags & VmFlags.VM_WRITE) != 0 ? Pgtable.WRITE : 0);
        SpinLock[] ptl = new SpinLock[1];
        Entry anchor = pteOffsetMapLock(mm, pmd, base, ptl);
        long done = k.load("filemap_map_pages(" + mapping.name() + ", " + first + ".." + last + ")", m -> {
            long size = m.read(mapping.size);
            long out = 0;
            for (long index = first; index <= last; index++) {
                if (index >= size || index >= mapping.pageCache.length) {
                    break;
                }
                long cached = m.read(mapping.pageCache[(int) index]);
                if (cached == 0) {
                    continue;
                }
                Page p = k.page((int) cached - 1);
                int slot = anchor.table().entrySlot(anchor.index() + (int) (index - first));
                if (m.read(slot) != 0 || m.read(p.refcount) == 0 || p.test(m, PageFlags.PG_locked)) {
                    continue;
                }
                m.write(p.refcount, m.read(p.refcount) + 1);
                m.write(p.mapcount, m.read(p.mapcount) + 1);
                m.write(slot, Pgtable.mkPte(p.pfn, bits));
                out |= (1L << (index - first)) | (index == pgoff ? 1L << 32 : 0);
            }
            return out;
        }, r -> Long.bitCount(r & 0xffffffffL) + " mapped" + ((r >>> 32) != 0 ? ", the faulting page among them" : ""));
        if (k.has(Patch.MLOCK_COUNT) && (vmFlags & VmFlags.VM_LOCKED) != 0) {
            for (int i = 0; i < FAULT_AROUND_PAGES; i++) {
                if ((done & (1L << i)) != 0) {
                    long pte = new Entry(anchor.table(), anchor.index() + i).read("*pte");
                    k.mlock.mlockFolio(k.page(Pgtable.pfn(pte))); // set_pte_range -> folio_add_file_rmap_ptes -> mlock_vma_folio
                }
            }
        }
        ptl[0].unlock();
        return (done >>> 32) != 0;
    }

    /** do_cow_fault: a private write to a file page: a new anonymous copy of it. */
    @Mirrors(value = "do_cow_fault", file = "mm/memory.c", version = "3.16")
    boolean doCowFault(Vma vma, MmStruct mm, Entry pmd, long addr, AddressSpace mapping, long pgoff, long origPte) {
        k.rmap.anonVmaPrepare(vma);
        Page newPage = k.pageAlloc.allocPage();
        Page faultPage = k.filemap.filemapFault(mapping, pgoff);
        if (faultPage == null) {
            k.swapC.putPage(newPage);
            return false; // VM_FAULT_SIGBUS
        }
        SpinLock[] ptl = new SpinLock[1];
        Entry pte = pteOffsetMapLock(mm, pmd, addr, ptl);
        if (pte.read("pte_same(*pte, orig_pte)?") != origPte) {
            ptl[0].unlock();
            faultPage.unlock();
            k.swapC.putPage(faultPage);
            k.swapC.putPage(newPage);
            return true;
        }
        long entry = Pgtable.mkPte(newPage.pfn, Pgtable.WRITE | Pgtable.DIRTY | Pgtable.YOUNG);
        k.rmap.pageAddNewAnonRmap(newPage, vma, addr);
        k.swapC.lruCacheAddInactiveOrUnevictable(newPage, vma);
        pte.write(entry, "do_set_pte(" + Pgtable.hex(addr) + ", " + Pgtable.pteString(entry) + ")");
        ptl[0].unlock();
        faultPage.unlock();
        k.swapC.putPage(faultPage);
        return true;
    }

    /**
     * do_wp_page for a write to a read-only pte of a private mapping: copy the page (or reuse an
     * anonymous page mapped once). 3.16: after the copy, an old page of a VM_LOCKED vma is munlocked
     * under its page lock.
     */
    @Mirrors(value = "do_wp_page", file = "mm/memory.c", version = "3.16")
    boolean doWpPage(Vma vma, MmStruct mm, Entry pmd, long addr, long origPte) {
        if (Pgtable.isZero(origPte)) {
            return wpPageCopyZero(vma, mm, pmd, addr, origPte);
        }
        Page oldPage = k.page(Pgtable.pfn(origPte));
        long vmFlags = vma.readFlags();
        if ((vmFlags & VmFlags.VM_WRITE) == 0) {
            return false; // SIGSEGV: not writable at all
        }
        boolean anon = (oldPage.readMapping() & Page.MAPPING_ANON) != 0;
        if ((vmFlags & VmFlags.VM_SHARED) != 0 || (anon && oldPage.readMapcount() == 1)) {
            SpinLock[] ptl = new SpinLock[1];
            Entry pte = pteOffsetMapLock(mm, pmd, addr, ptl);
            if (pte.read("pte_same(*page_table, orig_pte)?") == origPte) {
                pte.write(origPte | Pgtable.WRITE | Pgtable.DIRTY | Pgtable.YOUNG, "wp_page_reuse(" + Pgtable.hex(addr) + ")");
            }
            ptl[0].unlock();
            return true;
        }
        oldPage.get();
        k.rmap.anonVmaPrepare(vma);
        Page newPage = k.pageAlloc.allocPage();
        SpinLock[] ptl = new SpinLock[1];
        Entry pte = pteOffsetMapLock(mm, pmd, addr, ptl);
        boolean copied = false;
        if (pte.read("pte_same(*page_table, orig_pte)?") == origPte) {
            long entry = Pgtable.mkPte(newPage.pfn, Pgtable.WRITE | Pgtable.DIRTY | Pgtable.YOUNG);
            ptepClearFlush(vma, addr, pte);
            k.rmap.pageAddNewAnonRmap(newPage, vma, addr);
            k.swapC.lruCacheAddInactiveOrUnevictable(newPage, vma);
            pte.write(entry, "set_pte_at_notify(" + Pgtable.hex(addr) + ", " + Pgtable.pteString(entry) + ")");
            k.rmap.pageRemoveRmap(oldPage);
            copied = true; // new_page = old_page: the mapping's reference to the old page is dropped below
        } else {
            k.swapC.putPage(newPage);
        }
        if (copied) {
            k.swapC.putPage(oldPage);
        }
        ptl[0].unlock();
        if (copied && (vma.readFlags() & VmFlags.VM_LOCKED) != 0) {
            if (k.has(Patch.MLOCK_COUNT)) {
                k.mlock.munlockFolio(oldPage); // folio_remove_rmap_pte -> munlock_vma_folio
            } else {
                oldPage.lock();
                k.mlock.munlockVmaPage(oldPage);
                oldPage.unlock();
            }
        }
        k.swapC.putPage(oldPage);
        return true;
    }

    /** wp_page_copy from the zero page: a new zeroed anonymous page replaces it (mlocked in a VM_LOCKED vma). */
    @Mirrors(value = "wp_page_copy", file = "mm/memory.c", version = "6.x")
    boolean wpPageCopyZero(Vma vma, MmStruct mm, Entry pmd, long addr, long origPte) {
        if ((vma.readFlags() & VmFlags.VM_WRITE) == 0) {
            return false;
        }
        k.rmap.anonVmaPrepare(vma);
        Page newPage = k.pageAlloc.allocPage();
        SpinLock[] ptl = new SpinLock[1];
        Entry pte = pteOffsetMapLock(mm, pmd, addr, ptl);
        if (pte.read("pte_same(*vmf->pte, orig_pte)?") == origPte) {
            long entry = Pgtable.mkPte(newPage.pfn, Pgtable.WRITE | Pgtable.DIRTY | Pgtable.YOUNG);
            ptepClearFlush(vma, addr, pte);
            k.rmap.pageAddNewAnonRmap(newPage, vma, addr);
            k.swapC.lruCacheAddInactiveOrUnevictable(newPage, vma);
            pte.write(entry, "set_pte_at_notify(" + Pgtable.hex(addr) + ", " + Pgtable.pteString(entry) + ")");
        } else {
            k.swapC.putPage(newPage);
        }
        ptl[0].unlock();
        return true;
    }

    /** do_anonymous_page: a read maps the shared zero page (no anon_vma, no page); a write a new page. */
    @Mirrors(value = "do_anonymous_page", file = "mm/memory.c", version = "5.12.9")
    void doAnonymousPage(Vma vma, MmStruct mm, Entry pmd, long addr, boolean write) {
        if (Pgtable.none(pmd.read("pte_alloc: pmd_none(*pmd)?"))) {
            pteAlloc(mm, pmd);
        }
        if (!write) {
            SpinLock[] ptl = new SpinLock[1];
            Entry pte = pteOffsetMapLock(mm, pmd, addr, ptl);
            if (Pgtable.none(pte.read("pte_none(*vmf->pte)?"))) {
                long zero = Pgtable.mkZeroPte();
                pte.write(zero, "set_pte_at(" + Pgtable.hex(addr) + ", " + Pgtable.pteString(zero) + ")");
            }
            ptl[0].unlock();
            return;
        }
        k.rmap.anonVmaPrepare(vma);
        Page page = k.pageAlloc.allocPage();
        long vmFlags = vma.readFlags();
        long entry = Pgtable.mkPte(page.pfn, (vmFlags & VmFlags.VM_WRITE) != 0 ? Pgtable.WRITE | Pgtable.DIRTY : 0);
        SpinLock[] ptl = new SpinLock[1];
        Entry pte = pteOffsetMapLock(mm, pmd, addr, ptl);
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
        if (Pgtable.isMigration(origPte)) {
            migrationEntryWait(k.page(Pgtable.pfn(origPte)));
            return;
        }
        int slot = Pgtable.swapSlot(origPte);
        Page page = k.swapC.lookupSwapCache(slot);
        if (page == null) {
            page = k.swapC.swapinReadahead(slot, vma);
        }
        page.lock();
        SpinLock[] ptl = new SpinLock[1];
        Entry pte = pteOffsetMapLock(mm, pmd, addr, ptl);
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
        page.unlock();
        ptl[0].unlock();
    }

    /** migration_entry_wait: sleep until the page under migration is unlocked (or gone), then retry the fault. */
    @Mirrors(value = "migration_entry_wait", file = "mm/migrate.c", version = "3.16")
    void migrationEntryWait(Page page) {
        k.step("wait_on_page_locked(" + page.name() + ")",
                m -> m.read(page.allocated) == 0 || !page.test(m, PageFlags.PG_locked),
                m -> 0);
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
        long checkMapping;
        /** Zapping with details (unmap_mapping_range): swap, migration and file ptes are left alone. */
        boolean details;
        /** details->nonlinear_vma: only file pages with first <= index <= last are zapped; their ptes become file ptes. */
        boolean nonlinear;
        long firstIndex;
        long lastIndex = Long.MAX_VALUE;
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
        unmapPageRange(tlb, vma, addr, end, 0);
    }

    /** With details: {@code checkMapping} != 0 spares pages of other mappings (the private COWs). */
    void unmapPageRange(MmuGather tlb, Vma vma, long addr, long end, long checkMapping) {
        tlb.checkMapping = checkMapping;
        if (!tlb.nonlinear) {
            tlb.firstIndex = 0;
            tlb.lastIndex = Long.MAX_VALUE;
        }
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
        // 5.18+: unmapping a page from a VM_LOCKED vma munlocks it (folio_remove_rmap_ptes -> munlock_vma_folio)
        boolean munlock = k.has(Patch.MLOCK_COUNT) && (vma.readFlags() & VmFlags.VM_LOCKED) != 0;
        SpinLock[] ptl = new SpinLock[1];
        Entry first = pteOffsetMapLock(tlb.mm, pmd, addr, ptl);
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
            i = at + 1;
            long pageIndex = -1;
            if (tlb.details) {
                long v = pte.read("zap_pte_range: *pte");
                if (!Pgtable.present(v)) {
                    continue; // if (unlikely(details)) continue;
                }
                if (Pgtable.isZero(v)) {
                    continue; // vm_normal_page() is NULL: no page of this mapping
                }
                if (Pgtable.present(v) && tlb.checkMapping != 0 && k.page(Pgtable.pfn(v)).readMapping() != tlb.checkMapping) {
                    continue; // details->check_mapping: leave the private COW alone
                }
                if (tlb.nonlinear) {
                    pageIndex = k.page(Pgtable.pfn(v)).readIndex();
                    if (pageIndex < tlb.firstIndex || pageIndex > tlb.lastIndex) {
                        continue; // details->nonlinear_vma: outside the truncated range
                    }
                }
            }
            long ptent = pte.getAndClear("ptep_get_and_clear_full(" + Pgtable.hex(a) + ")");
            if (tlb.nonlinear && Pgtable.present(ptent)) {
                pte.write(Pgtable.mkFilePte(pageIndex), "set_pte_at(" + Pgtable.hex(a) + ", pgoff_to_pte(" + pageIndex + "))");
            }
            if (Pgtable.isZero(ptent)) {
                tlb.range(vma, a, a + Pgtable.PAGE_SIZE); // the zero page: no rmap, no reference
            } else if (Pgtable.present(ptent)) {
                Page page = k.page(Pgtable.pfn(ptent));
                tlb.range(vma, a, a + Pgtable.PAGE_SIZE);
                if ((ptent & Pgtable.DIRTY) != 0 && (page.readMapping() & Page.MAPPING_ANON) == 0) {
                    page.setFlag(PageFlags.PG_dirty);
                }
                k.rmap.pageRemoveRmap(page);
                if (munlock) {
                    k.mlock.munlockFolio(page);
                }
                tlb.pages.add(page);
            } else if (Pgtable.isSwap(ptent)) {
                k.swapC.freeSwapAndCache(Pgtable.swapSlot(ptent));
            }
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

    /**
     * unmap_mapping_range: zap the file's pages in [start, start + len) (len 0: to the end) from
     * every vma mapping them; with evenCows the private COW copies too. Takes i_mmap for write
     * (for read in the state 48ec833b7851 reverted); neither mmap_lock nor page locks.
     */
    @Mirrors(value = "unmap_mapping_range", file = "mm/memory.c", version = "3.16")
    public void unmapMappingRange(AddressSpace mapping, long start, long len, boolean evenCows) {
        long first = start >>> Pgtable.PAGE_SHIFT;
        long last = len == 0 ? Long.MAX_VALUE : first + (len >>> Pgtable.PAGE_SHIFT) - 1;
        boolean shared = k.has(Patch.UNMAP_MAPPING_RANGE_SHARED_I_MMAP) && k.has(Patch.I_MMAP_RWSEM);
        if (shared) {
            mapping.iMmapRwsem.downRead();
        } else {
            mapping.iMmapRwsem.downWrite();
        }
        for (Vma vma : k.rmap.listVmas(mapping.iMmap, "vma_interval_tree_foreach(" + mapping.name() + ".i_mmap)")) {
            long vStart = k.mmap.readStart(vma);
            long vEnd = k.mmap.readEnd(vma);
            long pgoff = k.load(vma.name() + "->vm_pgoff", m -> m.read(vma.pgoff), Long::toString);
            long vFirst = pgoff;
            long vLast = pgoff + ((vEnd - vStart) >>> Pgtable.PAGE_SHIFT) - 1;
            if (vLast < first || vFirst > last) {
                continue;
            }
            long zs = vStart + ((Math.max(first, vFirst) - pgoff) << Pgtable.PAGE_SHIFT);
            long ze = vStart + ((Math.min(last, vLast) - pgoff + 1) << Pgtable.PAGE_SHIFT);
            MmuGather tlb = tlbGatherMmu(vma.readMm());
            tlb.details = true;
            unmapPageRange(tlb, vma, zs, ze, evenCows ? 0 : Filemap.fileTag(mapping));
            tlbFinishMmu(tlb);
        }
        if (!k.has(Patch.NO_NONLINEAR_VMAS)) {
            unmapMappingRangeNonlinear(mapping, first, last, evenCows);
        }
        if (shared) {
            mapping.iMmapRwsem.upRead();
        } else {
            mapping.iMmapRwsem.upWrite();
        }
    }

    /** unmap_mapping_range_list over i_mmap_nonlinear: whole vmas, filtered by page index. */
    @Mirrors(value = "unmap_mapping_range_list", file = "mm/memory.c", version = "3.16")
    void unmapMappingRangeNonlinear(AddressSpace mapping, long first, long last, boolean evenCows) {
        for (Vma vma : k.rmap.listVmas(mapping.iMmapNonlinear, "list_for_each_entry(" + mapping.name() + ".i_mmap_nonlinear)")) {
            MmuGather tlb = tlbGatherMmu(vma.readMm());
            tlb.details = true;
            tlb.nonlinear = true;
            tlb.firstIndex = first;
            tlb.lastIndex = last;
            unmapPageRange(tlb, vma, k.mmap.readStart(vma), k.mmap.readEnd(vma), evenCows ? 0 : Filemap.fileTag(mapping));
            tlbFinishMmu(tlb);
        }
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
            if (addr == 0) {
                return;
            }
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
