package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.ModelError;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.mm.types.AnonVma;
import dev.mmcheck.mm.types.Entry;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Pgtable.Level;
import dev.mmcheck.mm.types.SpinLock;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;

/**
 * mm/mremap.c (5.12.9). Moving a range moves page-table entries: one pte at a time (move_ptes),
 * or, when source and destination are aligned, a whole PTE table by its pmd entry (MOVE_PMD) or a
 * whole PMD table by its pud entry (MOVE_PUD). The rmap locks are taken only when need_rmap_locks
 * says so, unless the seed-003 fix ({@link Patch#MOVE_PGT_ALWAYS_RMAP_LOCKS}) is applied.
 */
public final class Mremap {
    public static final int MREMAP_MAYMOVE = 1;
    public static final int MREMAP_FIXED = 2;
    public static final long EINVAL = -22;
    public static final long EFAULT = -14;

    /** enum pgt_entry */
    enum PgtEntry {
        NORMAL_PMD, NORMAL_PUD
    }

    private final Kernel k;

    public Mremap(Kernel k) {
        this.k = k;
    }

    public static final int MREMAP_DONTUNMAP = 4;
    public static final long ENOMEM = -12;

    /**
     * The mremap system call: returns the new address or -errno. The argument checks, then (6.17+,
     * {@link Patch#MREMAP_MULTI_VMA}) the 6.x do_mremap, which may move several vmas at once, or
     * the 5.x sys_mremap: shrink in place, grow in place when the space after the vma is free, else
     * move (MREMAP_MAYMOVE) to an address the kernel picks, or to new_addr (MREMAP_FIXED), leaving
     * the old vma empty with MREMAP_DONTUNMAP (5.7+). A VM_LOCKED range that grew is populated.
     */
    @Mirrors(value = "sys_mremap", file = "mm/mremap.c", version = "6.x")
    public long mremap(long addr, long oldLen, long newLen, int flags, long newAddr) {
        int known = MREMAP_MAYMOVE | MREMAP_FIXED | (k.has(Patch.MREMAP_DONTUNMAP) ? MREMAP_DONTUNMAP : 0);
        if ((flags & ~known) != 0 || (addr & (Pgtable.PAGE_SIZE - 1)) != 0) {
            return EINVAL;
        }
        oldLen = Mmap.pageAlign(oldLen);
        newLen = Mmap.pageAlign(newLen);
        if (newLen == 0) {
            return EINVAL;
        }
        boolean newAddrGiven = (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) != 0;
        if (k.has(Patch.MREMAP_MULTI_VMA) && Long.compareUnsigned(newLen, Mmap.TASK_SIZE) > 0) {
            return EINVAL; // 6.x check_mremap_params: "Is the new length silly?"
        }
        if (newAddrGiven) {
            if ((flags & MREMAP_MAYMOVE) == 0 || ((flags & MREMAP_DONTUNMAP) != 0 && oldLen != newLen)) {
                return EINVAL;
            }
            if (Long.compareUnsigned(newLen, Mmap.TASK_SIZE) > 0 || Long.compareUnsigned(newAddr, Mmap.TASK_SIZE - newLen) > 0
                    || (newAddr & (Pgtable.PAGE_SIZE - 1)) != 0) {
                return EINVAL;
            }
            if (addr + oldLen > newAddr && newAddr + newLen > addr) {
                return EINVAL; // the old and new ranges overlap
            }
        }
        MmStruct mm = k.currentMm();
        Vrm v = new Vrm(addr, oldLen, newLen, flags, newAddr);
        mm.mmapLock.downWrite();
        long ret;
        if (k.has(Patch.MREMAP_MULTI_VMA)) {
            ret = (flags & MREMAP_FIXED) != 0 && oldLen == newLen ? remapMove(mm, v) : doMremap(mm, v);
        } else {
            ret = doMremapOld(mm, v);
        }
        mm.mmapLock.upWrite();
        if (!failed(ret) && v.populateFrom != 0) {
            k.gup.mmPopulate(mm, v.populateFrom, v.populateLen, true);
        }
        return ret;
    }

    static boolean failed(long ret) {
        return ret < 0 && ret >= -4095;
    }

    /** struct vma_remap_struct: one remap as it goes along. */
    static final class Vrm {
        long addr;
        long oldLen;
        long newLen;
        final int flags;
        long newAddr;
        Vma vma;
        /** After the lock is dropped, populate [populateFrom, + populateLen) (a VM_LOCKED range that grew). */
        long populateFrom;
        long populateLen;

        Vrm(long addr, long oldLen, long newLen, int flags, long newAddr) {
            this.addr = addr;
            this.oldLen = oldLen;
            this.newLen = newLen;
            this.flags = flags;
            this.newAddr = newAddr;
        }

        boolean impliesNewAddr() {
            return (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) != 0;
        }
    }

    // ---- 6.x ---------------------------------------------------------------------------------------

    /** do_mremap (6.x), when not a pure fixed move: vma_lookup, check_prep_vma, then mremap_to or mremap_at. */
    @Mirrors(value = "do_mremap", file = "mm/mremap.c", version = "6.x")
    long doMremap(MmStruct mm, Vrm v) {
        v.vma = k.vmaSplit.vmaLookup(mm, v.addr);
        long r = checkPrepVma(v);
        if (r != 0) {
            return r;
        }
        return v.impliesNewAddr() ? mremapTo(mm, v) : mremapAt(mm, v);
    }

    /**
     * remap_move (6.17+): a fixed move without resize takes every vma of the range along (split at
     * the ends), each to the same offset from the destination, gaps included; no gap at the start.
     */
    @Mirrors(value = "remap_move", file = "mm/mremap.c", version = "6.x")
    long remapMove(MmStruct mm, Vrm whole) {
        long start = whole.addr;
        long end = whole.addr + whole.oldLen;
        long target = whole.newAddr;
        long res = EFAULT;
        long lastEnd = 0;
        boolean seen = false;
        for (long cursor = start; ; ) {
            Vma vma = k.mmap.findVma(mm, cursor);
            if (vma == null) {
                break;
            }
            long vs = k.mmap.readStart(vma);
            long ve = k.mmap.readEnd(vma);
            if (vs >= end) {
                break;
            }
            long a = Math.max(vs, start);
            long len = Math.min(end, ve) - a;
            if (!seen && start < vs) {
                return EFAULT;
            }
            long offset = seen ? vs - lastEnd : 0;
            lastEnd = ve;
            Vrm v = new Vrm(a, len, len, whole.flags, target + offset);
            v.vma = vma;
            long r = checkPrepVma(v);
            if (r == 0) {
                r = mremapTo(mm, v);
            }
            if (failed(r)) {
                return r;
            }
            if (!seen) {
                res = r;
            }
            seen = true;
            target = r + len;
            cursor = a + len;
        }
        return res;
    }

    /** check_prep_vma (6.x): the vma must exist and, for a move or growth, hold the whole old range. */
    @Mirrors(value = "check_prep_vma", file = "mm/mremap.c", version = "6.x")
    long checkPrepVma(Vrm v) {
        if (v.vma == null) {
            return EFAULT;
        }
        if (!v.impliesNewAddr()) {
            v.newAddr = v.addr;
        }
        boolean expand = Long.compareUnsigned(v.newLen, v.oldLen) > 0;
        if (!expand && !v.impliesNewAddr()) {
            return 0;
        }
        long flags = v.vma.readFlags();
        if (v.oldLen == 0 && (flags & VmFlags.VM_SHARED) == 0) {
            return EINVAL;
        }
        long oldLen = Long.compareUnsigned(v.newLen, v.oldLen) < 0 ? v.newLen : v.oldLen;
        if (Long.compareUnsigned(oldLen, k.mmap.readEnd(v.vma) - v.addr) > 0) {
            return EFAULT;
        }
        if (v.newLen == oldLen) {
            return 0;
        }
        return 0;
    }

    /** mremap_to (6.x): unmap the fixed destination, shrink first if asked, then move_vma. */
    @Mirrors(value = "mremap_to", file = "mm/mremap.c", version = "6.x")
    long mremapTo(MmStruct mm, Vrm v) {
        if ((v.flags & MREMAP_FIXED) != 0) {
            k.mmap.doMunmap(mm, v.newAddr, v.newLen);
            v.vma = k.vmaSplit.vmaLookup(mm, v.addr);
            if (v.vma == null) {
                return EFAULT;
            }
        }
        if (Long.compareUnsigned(v.newLen, v.oldLen) < 0) {
            long err = shrink(mm, v);
            if (err != 0) {
                return err;
            }
            v.vma = k.vmaSplit.vmaLookup(mm, v.addr);
            if (v.vma == null) {
                return EFAULT;
            }
            v.oldLen = v.newLen;
        }
        if ((v.flags & MREMAP_FIXED) == 0) {
            long at = k.mmap.getUnmappedArea(mm, v.newAddr, v.newLen, false);
            if (failed(at)) {
                return at;
            }
            v.newAddr = at;
        }
        return moveVma(mm, v);
    }

    /** mremap_at (6.x): no resize is a no-op, a shrink unmaps the tail, a growth is expand_vma. */
    @Mirrors(value = "mremap_at", file = "mm/mremap.c", version = "6.x")
    long mremapAt(MmStruct mm, Vrm v) {
        if (v.newLen == v.oldLen) {
            return v.addr;
        }
        if (Long.compareUnsigned(v.newLen, v.oldLen) < 0) {
            long err = shrink(mm, v);
            if (err != 0) {
                return err;
            }
            return v.addr;
        }
        return expandVma(mm, v);
    }

    /** expand_vma: grow in place if [addr, addr + old_len) ends the vma and the space after it is free; else move (MREMAP_MAYMOVE) or ENOMEM. */
    @Mirrors(value = "expand_vma", file = "mm/mremap.c", version = "6.x")
    long expandVma(MmStruct mm, Vrm v) {
        long delta = v.newLen - v.oldLen;
        if (k.mmap.readEnd(v.vma) - v.addr == v.oldLen && vmaExpandable(mm, v.vma, delta)) {
            Vma grown = k.vmaSplit.mergeExtend(v.vma, delta);
            statAccount(mm, grown, v, delta);
            return v.addr;
        }
        if ((v.flags & MREMAP_MAYMOVE) == 0) {
            return ENOMEM;
        }
        long at = k.mmap.getUnmappedArea(mm, 0, v.newLen, false);
        if (failed(at)) {
            return at;
        }
        v.newAddr = at;
        return moveVma(mm, v);
    }

    /** shrink_vma: do_vmi_munmap of the tail, which checks the range itself (an overflowing one is EINVAL). */
    long shrink(MmStruct mm, Vrm v) {
        long start = v.addr + v.newLen;
        long len = v.oldLen - v.newLen;
        if (Long.compareUnsigned(start, Mmap.TASK_SIZE) > 0 || Long.compareUnsigned(len, Mmap.TASK_SIZE - start) > 0) {
            return EINVAL;
        }
        k.mmap.doMunmap(mm, start, len);
        return 0;
    }

    /** vma_expandable: no vma in [vm_end, vm_end + delta), and the whole stays below TASK_SIZE. */
    boolean vmaExpandable(MmStruct mm, Vma vma, long delta) {
        long end = k.mmap.readEnd(vma);
        long nend = end + delta;
        if (Long.compareUnsigned(nend, end) < 0 || Long.compareUnsigned(nend, Mmap.TASK_SIZE) > 0) {
            return false;
        }
        Vma next = k.mmap.findVma(mm, end);
        return next == null || k.mmap.readStart(next) >= nend;
    }

    /** vrm_stat_account: a VM_LOCKED vma's new pages count in locked_vm, and will be populated. */
    private void statAccount(MmStruct mm, Vma vma, Vrm v, long bytes) {
        if ((vma.readFlags() & VmFlags.VM_LOCKED) != 0) {
            long pages = bytes >>> Pgtable.PAGE_SHIFT;
            k.step("mm->locked_vm += " + pages, null, m -> {
                m.write(mm.lockedVm, m.read(mm.lockedVm) + pages);
                return 0;
            });
            if (v.newLen > v.oldLen) {
                v.populateFrom = v.newAddr + v.oldLen;
                v.populateLen = v.newLen - v.oldLen;
            }
        }
    }

    // ---- 5.x ---------------------------------------------------------------------------------------

    /** sys_mremap (5.12) under mmap_lock. */
    @Mirrors(value = "sys_mremap", file = "mm/mremap.c", version = "5.12.9")
    long doMremapOld(MmStruct mm, Vrm v) {
        long found = k.load("find_vma(" + mm.name() + ", " + Pgtable.hex(v.addr) + ") && vm_start <= addr?", m -> {
            for (long x = m.read(mm.mmap); x != 0; x = m.read(k.vma((int) x - 1).next)) {
                Vma vma = k.vma((int) x - 1);
                if (m.read(vma.end) > v.addr) {
                    return m.read(vma.start) <= v.addr ? x : 0;
                }
            }
            return 0;
        }, r -> r == 0 ? "none: EFAULT" : "V" + (r - 1));
        if (found == 0) {
            return EFAULT;
        }
        if (v.impliesNewAddr()) {
            return mremapToOld(mm, v);
        }
        if (Long.compareUnsigned(v.oldLen, v.newLen) >= 0) {
            if (v.oldLen != v.newLen) {
                long err = shrink(mm, v);
                if (err != 0) {
                    return err;
                }
            }
            return v.addr;
        }
        v.vma = vmaToResize(mm, v);
        if (v.vma == null) {
            return EFAULT;
        }
        v.newAddr = v.addr;
        return expandVma(mm, v);
    }

    /** vma_to_resize: the vma at addr holding [addr, addr + old_len), or null (EFAULT); the bounds checked in one step. */
    @Mirrors(value = "vma_to_resize", file = "mm/mremap.c", version = "5.12.9")
    Vma vmaToResize(MmStruct mm, Vrm v) {
        Vma vma = k.mmap.findVma(mm, v.addr);
        if (vma == null) {
            return null;
        }
        long ok = k.load(vma.name() + "->vm_start <= addr && old_len <= vm_end - addr?",
                m -> m.read(vma.start) <= v.addr && Long.compareUnsigned(v.oldLen, m.read(vma.end) - v.addr) <= 0 ? 1 : 0, Kernel::yesNo);
        if (ok == 0) {
            return null;
        }
        return vma;
    }

    @Mirrors(value = "mremap_to", file = "mm/mremap.c", version = "5.12.9")
    long mremapToOld(MmStruct mm, Vrm v) {
        if ((v.flags & MREMAP_FIXED) != 0) {
            k.mmap.doMunmap(mm, v.newAddr, v.newLen);
        }
        if (Long.compareUnsigned(v.oldLen, v.newLen) >= 0) {
            if (v.oldLen != v.newLen) {
                long err = shrink(mm, v);
                if (err != 0) {
                    return err;
                }
            }
            v.oldLen = v.newLen;
        }
        v.vma = vmaToResize(mm, v);
        if (v.vma == null) {
            return EFAULT;
        }
        if ((v.flags & MREMAP_FIXED) == 0) {
            long at = k.mmap.getUnmappedArea(mm, v.newAddr, v.newLen, false);
            if (failed(at)) {
                return at;
            }
            v.newAddr = at;
        }
        return moveVma(mm, v);
    }

    // ---- moving ------------------------------------------------------------------------------------

    /**
     * move_vma: a vma for the new range (copy_vma, which may merge), the page tables moved, the new
     * pages counted in locked_vm if VM_LOCKED; then the old range is unmapped, or with
     * MREMAP_DONTUNMAP kept, empty, and no longer VM_LOCKED (locked_vm is not lowered for it).
     */
    @Mirrors(value = "move_vma", file = "mm/mremap.c", version = "6.x")
    long moveVma(MmStruct mm, Vrm v) {
        Vma src = v.vma;
        long oldAddr = v.addr;
        long pgoff = k.load(src.name() + "->vm_pgoff", m -> m.read(src.pgoff), Long::toString);
        long vmStart = k.mmap.readStart(src);
        long newPgoff = pgoff + ((oldAddr - vmStart) >>> Pgtable.PAGE_SHIFT);
        var copied = k.mmap.copyVma(src, v.newAddr, v.newLen, newPgoff);
        Vma vma = copied.source();
        long movedLen = movePageTables(vma, oldAddr, copied.vma(), v.newAddr, v.oldLen, copied.needRmapLocks());
        if (movedLen < v.oldLen) {
            throw new ModelError("move_page_tables could not move everything: the model's table pools are too small", null);
        }
        if ((copied.flags() & VmFlags.VM_LOCKED) != 0) {
            long pages = v.newLen >>> Pgtable.PAGE_SHIFT;
            k.step("mm->locked_vm += " + pages, null, m -> {
                m.write(mm.lockedVm, m.read(mm.lockedVm) + pages);
                return 0;
            });
            if (v.newLen > v.oldLen) {
                v.populateFrom = v.newAddr + v.oldLen;
                v.populateLen = v.newLen - v.oldLen;
            }
        }
        if ((v.flags & MREMAP_DONTUNMAP) != 0) {
            long flags = vma.readFlags();
            k.mmap.writeVmFlags(vma, flags & ~VmFlags.VM_LOCKED_MASK, "vm_flags_clear(" + vma.name() + ", VM_LOCKED_MASK)");
            if (k.mmap.readStart(vma) == oldAddr && k.mmap.readEnd(vma) == oldAddr + v.oldLen) {
                k.rmap.unlinkAnonVmas(vma);
                k.step(vma.name() + "->anon_vma = NULL", null, m -> {
                    m.write(vma.anonVma, 0);
                    return 0;
                });
            }
            return v.newAddr;
        }
        k.mmap.doMunmap(mm, oldAddr, v.oldLen);
        return v.newAddr;
    }

    @Mirrors(value = "move_page_tables", file = "mm/mremap.c", version = "5.12.9")
    long movePageTables(Vma vma, long oldAddr, Vma newVma, long newAddr, long len, boolean needRmapLocks) {
        MmStruct mm = vma.readMm();
        long oldEnd = oldAddr + len;
        long extent;
        for (; oldAddr < oldEnd; oldAddr += extent, newAddr += extent) {
            extent = getExtent(PgtEntry.NORMAL_PUD, oldAddr, oldEnd, newAddr);
            if (k.config.haveMovePud() && extent == Pgtable.PUD_SIZE) {
                Entry oldPud = getOldPud(mm, oldAddr);
                if (oldPud == null) {
                    continue;
                }
                Entry newPud = allocNewPud(mm, newAddr);
                if (movePgtEntry(PgtEntry.NORMAL_PUD, vma, oldAddr, newAddr, oldPud, newPud,
                        k.has(Patch.MOVE_PGT_ALWAYS_RMAP_LOCKS) || needRmapLocks)) {
                    continue;
                }
            }
            extent = getExtent(PgtEntry.NORMAL_PMD, oldAddr, oldEnd, newAddr);
            Entry oldPmd = getOldPmd(mm, oldAddr);
            if (oldPmd == null) {
                continue;
            }
            Entry newPmd = allocNewPmd(mm, newAddr);
            if (k.config.haveMovePmd() && extent == Pgtable.PMD_SIZE) {
                if (movePgtEntry(PgtEntry.NORMAL_PMD, vma, oldAddr, newAddr, oldPmd, newPmd,
                        k.has(Patch.MOVE_PGT_ALWAYS_RMAP_LOCKS) || needRmapLocks)) {
                    continue;
                }
            }
            if (Pgtable.none(newPmd.read("pte_alloc: pmd_none(*new_pmd)?"))) {
                k.memoryC.pteAlloc(mm, newPmd);
            }
            movePtes(vma, oldPmd, oldAddr, oldAddr + extent, newPmd, newAddr, needRmapLocks);
        }
        return len + oldAddr - oldEnd;
    }

    @Mirrors(value = "get_extent", file = "mm/mremap.c", version = "5.12.9")
    static long getExtent(PgtEntry entry, long oldAddr, long oldEnd, long newAddr) {
        long size = entry == PgtEntry.NORMAL_PMD ? Pgtable.PMD_SIZE : Pgtable.PUD_SIZE;
        long mask = ~(size - 1);
        long next = (oldAddr + size) & mask;
        long extent = next - oldAddr;
        if (extent > oldEnd - oldAddr) {
            extent = oldEnd - oldAddr;
        }
        next = (newAddr + size) & mask;
        if (extent > next - newAddr) {
            extent = next - newAddr;
        }
        return extent;
    }

    @Mirrors(value = "get_old_pud", file = "mm/mremap.c", version = "5.12.9")
    Entry getOldPud(MmStruct mm, long addr) {
        long pgd = k.memoryC.pgdOffset(mm, addr).read("pgd_none_or_clear_bad(pgd)?");
        if (Pgtable.none(pgd)) {
            return null;
        }
        Entry pud = k.memoryC.offset(pgd, Level.PUD, addr);
        if (Pgtable.none(pud.read("pud_none_or_clear_bad(pud)?"))) {
            return null;
        }
        return pud;
    }

    @Mirrors(value = "get_old_pmd", file = "mm/mremap.c", version = "5.12.9")
    Entry getOldPmd(MmStruct mm, long addr) {
        Entry pud = getOldPud(mm, addr);
        if (pud == null) {
            return null;
        }
        Entry pmd = k.memoryC.offset(pud.read("pmd_offset(pud)"), Level.PMD, addr);
        if (Pgtable.none(pmd.read("pmd_none(*pmd)?"))) {
            return null;
        }
        return pmd;
    }

    @Mirrors(value = "alloc_new_pud", file = "mm/mremap.c", version = "5.12.9")
    Entry allocNewPud(MmStruct mm, long addr) {
        return k.memoryC.pudAlloc(mm, k.memoryC.pgdOffset(mm, addr), addr);
    }

    @Mirrors(value = "alloc_new_pmd", file = "mm/mremap.c", version = "5.12.9")
    Entry allocNewPmd(MmStruct mm, long addr) {
        Entry pud = allocNewPud(mm, addr);
        return k.memoryC.pmdAlloc(mm, pud, addr);
    }

    @Mirrors(value = "move_pgt_entry", file = "mm/mremap.c", version = "5.12.9")
    boolean movePgtEntry(PgtEntry entry, Vma vma, long oldAddr, long newAddr, Entry oldEntry, Entry newEntry,
            boolean needRmapLocks) {
        if (needRmapLocks) {
            takeRmapLocks(vma);
        }
        boolean moved = switch (entry) {
            case NORMAL_PMD -> moveNormalPmd(vma, oldAddr, newAddr, oldEntry, newEntry);
            case NORMAL_PUD -> moveNormalPud(vma, oldAddr, newAddr, oldEntry, newEntry);
        };
        if (needRmapLocks) {
            dropRmapLocks(vma);
        }
        return moved;
    }

    @Mirrors(value = "take_rmap_locks", file = "mm/mremap.c", version = "5.12.9")
    void takeRmapLocks(Vma vma) {
        AnonVma anonVma = anonVmaOf(vma);
        if (anonVma != null) {
            anonVma.rootRwsem().downWrite();
        }
    }

    @Mirrors(value = "drop_rmap_locks", file = "mm/mremap.c", version = "5.12.9")
    void dropRmapLocks(Vma vma) {
        AnonVma anonVma = anonVmaOf(vma);
        if (anonVma != null) {
            anonVma.rootRwsem().upWrite();
        }
    }

    private AnonVma anonVmaOf(Vma vma) {
        long av = k.load(vma.name() + "->anon_vma", m -> m.read(vma.anonVma), r -> r == 0 ? "NULL" : "anon_vma" + (r - 1));
        return av == 0 ? null : k.anonVma((int) av - 1);
    }

    @Mirrors(value = "move_normal_pmd", file = "mm/mremap.c", version = "5.12.9")
    boolean moveNormalPmd(Vma vma, long oldAddr, long newAddr, Entry oldPmd, Entry newPmd) {
        MmStruct mm = vma.readMm();
        if (!Pgtable.none(newPmd.read("WARN_ON_ONCE(!pmd_none(*new_pmd))"))) {
            return false;
        }
        SpinLock oldPtl = k.memoryC.pmdLock(mm, oldPmd);
        SpinLock newPtl = k.memoryC.pmdLockptr(mm, newPmd);
        if (newPtl != oldPtl) {
            newPtl.lock();
        }
        long pmd = oldPmd.getAndClear("pmd = *old_pmd; pmd_clear(old_pmd)");
        newPmd.write(pmd, "set_pmd_at(new_pmd, " + Pgtable.tableEntryString(pmd) + ")");
        k.tlbFlush.flushTlbRange(vma, oldAddr, oldAddr + Pgtable.PMD_SIZE);
        if (newPtl != oldPtl) {
            newPtl.unlock();
        }
        oldPtl.unlock();
        return true;
    }

    @Mirrors(value = "move_normal_pud", file = "mm/mremap.c", version = "5.12.9")
    boolean moveNormalPud(Vma vma, long oldAddr, long newAddr, Entry oldPud, Entry newPud) {
        MmStruct mm = vma.readMm();
        if (!Pgtable.none(newPud.read("WARN_ON_ONCE(!pud_none(*new_pud))"))) {
            return false;
        }
        // pud_lockptr is mm->page_table_lock for both slots: one lock is taken.
        SpinLock oldPtl = k.memoryC.pudLock(mm);
        long pud = oldPud.getAndClear("pud = *old_pud; pud_clear(old_pud)");
        newPud.write(pud, "set_pud_at(new_pud, " + Pgtable.tableEntryString(pud) + ")");
        k.tlbFlush.flushTlbRange(vma, oldAddr, oldAddr + Pgtable.PUD_SIZE);
        oldPtl.unlock();
        return true;
    }

    /** move_ptes: the per-pte move, holding both PTE tables' locks and flushing before unlocking. */
    @Mirrors(value = "move_ptes", file = "mm/mremap.c", version = "5.12.9")
    void movePtes(Vma vma, Entry oldPmd, long oldAddr, long oldEnd, Entry newPmd, long newAddr, boolean needRmapLocks) {
        long len = oldEnd - oldAddr;
        if (needRmapLocks) {
            takeRmapLocks(vma);
        }
        SpinLock[] oldPtl = new SpinLock[1];
        Entry oldPte = k.memoryC.pteOffsetMapLock(vma.readMm(), oldPmd, oldAddr, oldPtl);
        Entry newPte = k.memoryC.offset(newPmd.read("pte_offset_map(new_pmd)"), Level.PTE, newAddr);
        SpinLock newPtl = k.memoryC.pteLockptr(vma.readMm(), newPmd);
        if (newPtl != oldPtl[0]) {
            newPtl.lock();
        }
        boolean forceFlush = false;
        for (int i = 0; oldAddr < oldEnd; i++, oldAddr += Pgtable.PAGE_SIZE, newAddr += Pgtable.PAGE_SIZE) {
            Entry o = new Entry(oldPte.table(), oldPte.index() + i);
            Entry n = new Entry(newPte.table(), newPte.index() + i);
            if (Pgtable.none(o.read("pte_none(*old_pte)?"))) {
                continue;
            }
            long pte = o.getAndClear("ptep_get_and_clear(" + Pgtable.hex(oldAddr) + ")");
            if (Pgtable.present(pte)) {
                forceFlush = true;
            }
            n.write(pte, "set_pte_at(" + Pgtable.hex(newAddr) + ", " + Pgtable.pteString(pte) + ")");
        }
        if (forceFlush) {
            k.tlbFlush.flushTlbRange(vma, oldEnd - len, oldEnd);
        }
        if (newPtl != oldPtl[0]) {
            newPtl.unlock();
        }
        oldPtl[0].unlock();
        if (needRmapLocks) {
            dropRmapLocks(vma);
        }
    }
}
