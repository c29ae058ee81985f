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

    /** The mremap system call: returns the new address or -errno. */
    @Mirrors(value = "sys_mremap", file = "mm/mremap.c", version = "5.12.9")
    public long mremap(long addr, long oldLen, long newLen, int flags, long newAddr) {
        if ((addr & (Pgtable.PAGE_SIZE - 1)) != 0 || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) != 0) {
            return EINVAL;
        }
        if ((flags & MREMAP_FIXED) == 0 || (flags & MREMAP_MAYMOVE) == 0) {
            throw new ModelError("only mremap(MREMAP_MAYMOVE | MREMAP_FIXED) is modelled so far", null);
        }
        MmStruct mm = k.currentMm();
        mm.mmapLock.downWrite();
        long ret = mremapTo(mm, addr, oldLen, newAddr, newLen);
        mm.mmapLock.upWrite();
        return ret;
    }

    @Mirrors(value = "mremap_to", file = "mm/mremap.c", version = "5.12.9")
    long mremapTo(MmStruct mm, long addr, long oldLen, long newAddr, long newLen) {
        if ((newAddr & (Pgtable.PAGE_SIZE - 1)) != 0 || oldLen != newLen) {
            if (oldLen != newLen) {
                throw new ModelError("mremap that changes the size while moving is not modelled yet", null);
            }
            return EINVAL;
        }
        k.mmap.doMunmap(mm, newAddr, newLen);
        Vma vma = k.mmap.findVma(mm, addr);
        if (vma == null || k.mmap.readStart(vma) > addr) {
            return EFAULT;
        }
        return moveVma(vma, addr, oldLen, newLen, newAddr);
    }

    @Mirrors(value = "move_vma", file = "mm/mremap.c", version = "5.12.9")
    long moveVma(Vma vma, long oldAddr, long oldLen, long newLen, long newAddr) {
        MmStruct mm = vma.readMm();
        long pgoff = k.load(vma.name() + "->vm_pgoff", m -> m.read(vma.pgoff), Long::toString);
        long newPgoff = pgoff + ((oldAddr - k.mmap.readStart(vma)) >>> Pgtable.PAGE_SHIFT);
        var copied = k.mmap.copyVma(vma, newAddr, newLen, newPgoff);
        long movedLen = movePageTables(vma, oldAddr, copied.vma(), newAddr, oldLen, copied.needRmapLocks());
        if (movedLen < oldLen) {
            throw new ModelError("move_page_tables could not move everything: the model's table pools are too small", null);
        }
        k.mmap.doMunmap(mm, oldAddr, oldLen);
        return newAddr;
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
