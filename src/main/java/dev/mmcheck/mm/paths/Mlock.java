package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.mm.types.Entry;
import dev.mmcheck.mm.types.Lru;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.SpinLock;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;
import java.util.ArrayList;
import java.util.List;

/**
 * mm/mlock.c (3.16 / 4.4 / 5.12; the 5.17 page_mlock rename is in Rmap): PG_mlocked, the
 * unevictable list, and munlock's three phases. NR_MLOCK moves with every successful test-and-set
 * or test-and-clear of PG_mlocked, in the same step.
 */
public final class Mlock {
    private static final int PAGEVEC_SIZE = 14;
    private final Kernel k;

    public Mlock(Kernel k) {
        this.k = k;
    }

    /** TestSetPageMlocked, counting NR_MLOCK; returns the old bit. */
    private boolean testSetPageMlocked(Page page) {
        return k.load("TestSetPageMlocked(" + page.name() + ")", m -> {
            if (page.test(m, PageFlags.PG_mlocked)) {
                return 1;
            }
            page.set(m, PageFlags.bit(PageFlags.PG_mlocked));
            m.write(k.nrMlock, m.read(k.nrMlock) + 1);
            return 0;
        }, r -> r == 1 ? "was set" : "was clear: NR_MLOCK++") == 1;
    }

    /** TestClearPageMlocked, counting NR_MLOCK; returns the old bit. */
    boolean testClearPageMlocked(Page page) {
        return k.load("TestClearPageMlocked(" + page.name() + ")", m -> {
            if (!page.test(m, PageFlags.PG_mlocked)) {
                return 0;
            }
            page.clear(m, PageFlags.bit(PageFlags.PG_mlocked));
            m.write(k.nrMlock, m.read(k.nrMlock) - 1);
            return 1;
        }, r -> r == 1 ? "was set: NR_MLOCK--" : "was clear") == 1;
    }

    /** mlock_vma_page: mark the page mlocked and move it to the unevictable list. Page locked by the caller. */
    @Mirrors(value = "mlock_vma_page", file = "mm/mlock.c", version = "3.16")
    public void mlockVmaPage(Page page) {
        if (!k.has(Patch.MLOCK_WITHOUT_PAGE_LOCK_BUG_ON)) {
            k.bugOn(!page.testFlag(PageFlags.PG_locked), "mm/mlock.c mlock_vma_page", "BUG_ON(!PageLocked(page)) for " + page.name());
        }
        if (!testSetPageMlocked(page)) {
            if (k.vmscan.isolateLruPage(page)) {
                k.vmscan.putbackLruPage(page);
            }
        }
    }

    /** mlocked_vma_newpage (3.16): a new page of a VM_LOCKED vma is mlocked before anyone sees it. */
    @Mirrors(value = "mlocked_vma_newpage", file = "mm/internal.h", version = "3.16")
    void mlockNewPage(Page page) {
        testSetPageMlocked(page);
    }

    /** clear_page_mlock: the last mapping went away; make the page evictable again. Page lock not needed. */
    @Mirrors(value = "clear_page_mlock", file = "mm/mlock.c", version = "3.16")
    public void clearPageMlock(Page page) {
        if (!testClearPageMlocked(page)) {
            return;
        }
        if (k.vmscan.isolateLruPage(page)) {
            k.vmscan.putbackLruPage(page);
        }
    }

    /** munlock_vma_page (the single-page munlock, 3.16 form under lru_lock). Page locked by the caller. */
    @Mirrors(value = "munlock_vma_page", file = "mm/mlock.c", version = "3.16")
    public void munlockVmaPage(Page page) {
        k.bugOn(!page.testFlag(PageFlags.PG_locked), "mm/mlock.c munlock_vma_page", "BUG_ON(!PageLocked(page)) for " + page.name());
        k.lru.lruLock.lock();
        if (!testClearPageMlocked(page)) {
            k.lru.lruLock.unlock();
            return;
        }
        if (munlockIsolateLruPage(page, true)) {
            k.lru.lruLock.unlock();
            munlockIsolatedPage(page);
            return;
        }
        munlockIsolationFailed(page);
        k.lru.lruLock.unlock();
    }

    /** __munlock_isolate_lru_page: take the page off its LRU list; lru_lock held by the caller. */
    @Mirrors(value = "__munlock_isolate_lru_page", file = "mm/mlock.c", version = "3.16")
    boolean munlockIsolateLruPage(Page page, boolean getpage) {
        return k.load("__munlock_isolate_lru_page(" + page.name() + ")", m -> {
            if (!page.test(m, PageFlags.PG_lru)) {
                return 0;
            }
            if (getpage) {
                m.add(page.refcount, 1);
            }
            page.clear(m, PageFlags.bit(PageFlags.PG_lru));
            m.write(page.lru, Lru.NONE);
            return 1;
        }, r -> r == 1 ? "isolated" : "not on an LRU") == 1;
    }

    /** __munlock_isolated_page: is another VM_LOCKED vma still mapping it? Then put it back. Page locked and isolated. */
    @Mirrors(value = "__munlock_isolated_page", file = "mm/mlock.c", version = "3.16")
    void munlockIsolatedPage(Page page) {
        if (page.readMapcount() > 1) {
            if (k.has(Patch.PAGE_MLOCK_SPLIT) || k.has(Patch.PAGE_MLOCK_SEED_TEXT)) {
                k.rmap.pageMlock(page);
            } else {
                k.rmap.tryToMunlock(page);
            }
        }
        k.vmscan.putbackLruPage(page);
    }

    /** __munlock_isolation_failed: someone else has the page isolated and will put it back right. Counts only. */
    @Mirrors(value = "__munlock_isolation_failed", file = "mm/mlock.c", version = "3.16")
    void munlockIsolationFailed(Page page) {
        // UNEVICTABLE_PGSTRANDED or UNEVICTABLE_PGMUNLOCKED: an event count, no state.
    }

    // ---- munlock of a range -----------------------------------------------------------------------

    /** munlock_vma_pages_all. */
    public void munlockVmaPagesAll(Vma vma) {
        munlockVmaPagesRange(vma, k.mmap.readStart(vma), k.mmap.readEnd(vma));
    }

    /**
     * munlock_vma_pages_range: clear VM_LOCKED first (a plain read-modify-write), then munlock the
     * pages, a pagevec at a time.
     */
    @Mirrors(value = "munlock_vma_pages_range", file = "mm/mlock.c", version = "3.16")
    public void munlockVmaPagesRange(Vma vma, long start, long end) {
        long clear = k.generation.compareTo(dev.mmcheck.mm.Generation.K4_4) >= 0
                ? VmFlags.VM_LOCKED | VmFlags.VM_LOCKONFAULT : VmFlags.VM_LOCKED;
        k.mmap.writeVmFlags(vma, vma.readFlags() & ~clear, "vma->vm_flags &= ~VM_LOCKED", vma.munlocking);
        while (start < end) {
            // One pagevec per turn: the next start is all a turn leaves behind.
            long from = start;
            start = k.summarized("munlock_vma_pages_range turn", () -> {
                Page page = k.gup.followPageMask(vma, from, true);
                if (page != null) {
                    List<Page> pvec = new ArrayList<>();
                    pvec.add(page);
                    long next = munlockPagevecFill(pvec, vma, from, end);
                    munlockPagevec(pvec);
                    return next;
                }
                return from + Pgtable.PAGE_SIZE;
            });
        }
        k.step("(model) munlock of " + vma.name() + " done", null, m -> {
            m.write(vma.munlocking, 0);
            return 0;
        });
    }

    /** __munlock_pagevec_fill: pin the following present pages of the same PTE table, under its lock. */
    @Mirrors(value = "__munlock_pagevec_fill", file = "mm/mlock.c", version = "3.16")
    long munlockPagevecFill(List<Page> pvec, Vma vma, long start, long end) {
        MmStruct mm = vma.readMm();
        SpinLock[] ptl = new SpinLock[1];
        Entry pte = k.gup.getLockedPte(mm, start, ptl);
        long pmdEnd = (start & ~(Pgtable.PMD_SIZE - 1)) + Pgtable.PMD_SIZE;
        end = Math.min(end, pmdEnd);
        start += Pgtable.PAGE_SIZE;
        int i = pte.index();
        while (start < end) {
            i++;
            long v = new Entry(pte.table(), i).read("pte_present(*pte)?");
            if (!Pgtable.present(v)) {
                break;
            }
            Page page = k.page(Pgtable.pfn(v));
            page.get();
            start += Pgtable.PAGE_SIZE;
            pvec.add(page);
            if (pvec.size() == PAGEVEC_SIZE) {
                break;
            }
        }
        ptl[0].unlock();
        return start;
    }

    /**
     * __munlock_pagevec. Phase 1 under lru_lock only: TestClearPageMlocked and isolate. Phase 2
     * under each page's lock: put it back, after the rmap walk if another vma may still lock it.
     * Phase 3: the fast-path pages back on the LRU.
     */
    @Mirrors(value = "__munlock_pagevec", file = "mm/mlock.c", version = "3.16")
    void munlockPagevec(List<Page> pvec) {
        List<Page> putback = new ArrayList<>();
        Page[] kept = new Page[pvec.size()];
        k.lru.lruLock.lock();
        for (int i = 0; i < pvec.size(); i++) {
            Page page = pvec.get(i);
            if (testClearPageMlocked(page)) {
                if (munlockIsolateLruPage(page, false)) {
                    kept[i] = page;
                    continue;
                }
                munlockIsolationFailed(page);
                if (!k.has(Patch.MUNLOCK_NR_MLOCK_FIX)) {
                    // delta_munlocked = -nr + pagevec_count(&pvec_putback): a page cleared here but not
                    // isolated was put back uncounted, so NR_MLOCK keeps it (fixed in 4.14).
                    k.step("NR_MLOCK: " + page.name() + " cleared but not isolated is not subtracted", null, m -> {
                        m.write(k.nrMlock, m.read(k.nrMlock) + 1);
                        return 0;
                    });
                }
            }
            putback.add(page);
        }
        k.lru.lruLock.unlock();
        for (Page page : putback) {
            k.swapC.putPage(page);
        }
        List<Page> fast = new ArrayList<>();
        for (Page page : kept) {
            if (page == null) {
                continue;
            }
            page.lock();
            if (putbackLruFastPrepare(page)) {
                fast.add(page);
            } else {
                page.get();
                munlockIsolatedPage(page);
                page.unlock();
                k.swapC.putPage(page);
            }
        }
        for (Page page : fast) {
            k.swapC.lruCacheAdd(page);
            k.swapC.putPage(page);
        }
    }

    /** __putback_lru_fast_prepare: a page mapped once and evictable needs no rmap walk. */
    @Mirrors(value = "__putback_lru_fast_prepare", file = "mm/mlock.c", version = "3.16")
    boolean putbackLruFastPrepare(Page page) {
        if (page.readMapcount() <= 1 && k.vmscan.pageEvictable(page)) {
            page.testClearFlag(PageFlags.PG_unevictable);
            page.unlock();
            return true;
        }
        return false;
    }

    // ---- 5.18+: mlock_count, and the per-CPU mlock batch (drained at once) ----------------------------

    /**
     * mlock_folio (5.18+): PG_mlocked, then __mlock_folio as the batch is drained: a page already
     * on the unevictable list gets one more mlock_count; one on an evictable list moves to the
     * unevictable list with mlock_count 1; one off the LRU (isolated) is left alone, uncounted.
     */
    @Mirrors(value = "mlock_folio", file = "mm/mlock.c", version = "6.x")
    public void mlockFolio(Page page) {
        testSetPageMlocked(page);
        k.lru.lruLock.lock();
        k.step("__mlock_folio(" + page.name() + ")", null, m -> {
            long f = page.flags(m, PageFlags.ALL);
            if ((f & PageFlags.bit(PageFlags.PG_lru)) == 0) {
                return 0; // nothing more we can do while it's off LRU
            }
            boolean mlocked = (f & PageFlags.bit(PageFlags.PG_mlocked)) != 0;
            if (!mlocked) {
                if ((f & PageFlags.bit(PageFlags.PG_unevictable)) != 0) {
                    page.write(m, PageFlags.ALL, f & ~PageFlags.bit(PageFlags.PG_unevictable));
                    m.write(page.lru, evictableList(f));
                }
                return 0;
            }
            if ((f & PageFlags.bit(PageFlags.PG_unevictable)) != 0) {
                m.write(page.mlockCount, m.read(page.mlockCount) + 1);
                return 0;
            }
            page.write(m, PageFlags.ALL, (f & ~PageFlags.bit(PageFlags.PG_active)) | PageFlags.bit(PageFlags.PG_unevictable));
            m.write(page.lru, Lru.UNEVICTABLE);
            m.write(page.mlockCount, 1);
            return 0;
        });
        k.lru.lruLock.unlock();
    }

    /**
     * mlock_new_folio (5.18+): a new page of a VM_LOCKED vma: PG_mlocked, and (as the batch is
     * drained) onto the unevictable list with mlock_count 1.
     */
    @Mirrors(value = "mlock_new_folio", file = "mm/mlock.c", version = "6.x")
    public void mlockNewFolio(Page page) {
        testSetPageMlocked(page);
        k.lru.lruLock.lock();
        k.step("__mlock_new_folio(" + page.name() + ")", null, m -> {
            long f = page.flags(m, PageFlags.ALL);
            if ((f & PageFlags.bit(PageFlags.PG_mlocked)) == 0) {
                page.write(m, PageFlags.ALL, f | PageFlags.bit(PageFlags.PG_lru));
                m.write(page.lru, evictableList(f));
                return 0;
            }
            page.write(m, PageFlags.ALL, (f & ~PageFlags.bit(PageFlags.PG_active)) | PageFlags.bit(PageFlags.PG_unevictable) | PageFlags.bit(PageFlags.PG_lru));
            m.write(page.lru, Lru.UNEVICTABLE);
            m.write(page.mlockCount, 1);
            return 0;
        });
        k.lru.lruLock.unlock();
    }

    /**
     * munlock_folio (5.18+), with __munlock_folio as the batch is drained: on the unevictable list,
     * one less mlock_count, and if some remain the page stays mlocked; otherwise PG_mlocked is
     * cleared and the page goes back to an evictable list. A page off the LRU just loses PG_mlocked.
     */
    @Mirrors(value = "munlock_folio", file = "mm/mlock.c", version = "6.x")
    public void munlockFolio(Page page) {
        k.lru.lruLock.lock();
        k.load("__munlock_folio(" + page.name() + ")", m -> {
            long f = page.flags(m, PageFlags.ALL);
            boolean isolated = (f & PageFlags.bit(PageFlags.PG_lru)) != 0;
            if (isolated && (f & PageFlags.bit(PageFlags.PG_unevictable)) != 0) {
                long c = m.read(page.mlockCount);
                if (c > 0) {
                    c--;
                    m.write(page.mlockCount, c);
                }
                if (c > 0) {
                    return 2; // still mlocked by another vma
                }
            }
            if ((f & PageFlags.bit(PageFlags.PG_mlocked)) != 0) {
                f &= ~PageFlags.bit(PageFlags.PG_mlocked);
                page.write(m, PageFlags.ALL, f);
                m.write(k.nrMlock, m.read(k.nrMlock) - 1);
            }
            if (isolated && (f & PageFlags.bit(PageFlags.PG_unevictable)) != 0) {
                page.write(m, PageFlags.ALL, f & ~PageFlags.bit(PageFlags.PG_unevictable));
                m.write(page.lru, evictableList(f));
                m.write(page.mlockCount, 0);
            }
            return 1;
        }, r -> r == 2 ? "mlock_count still > 0: stays mlocked" : "munlocked");
        k.lru.lruLock.unlock();
    }

    private static long evictableList(long flags) {
        return (flags & PageFlags.bit(PageFlags.PG_swapbacked)) != 0 ? Lru.INACTIVE_ANON : Lru.INACTIVE_FILE;
    }

    /**
     * mlock_vma_pages_range (5.18+): the new vm_flags, then mlock_pte_range over the present ptes of
     * [start, end): each mapped page (not the zero page) is mlocked or munlocked as the vma now is.
     */
    @Mirrors(value = "mlock_vma_pages_range", file = "mm/mlock.c", version = "6.x")
    void mlockVmaPagesRange(Vma vma, long start, long end, long newflags) {
        k.mmap.writeVmFlags(vma, newflags, "vm_flags_reset_once(" + vma.name() + ", newflags)");
        MmStruct mm = vma.readMm();
        boolean lock = (newflags & VmFlags.VM_LOCKED) != 0;
        for (long a = start; a < end; ) {
            long next = Math.min(end, (a & ~(Pgtable.PMD_SIZE - 1)) + Pgtable.PMD_SIZE);
            Entry pmd = k.gup.pmdOf(mm, a);
            if (pmd != null) {
                SpinLock[] ptl = new SpinLock[1];
                Entry first = k.memoryC.pteOffsetMapLock(mm, pmd, a, ptl);
                List<Page> pages = new ArrayList<>();
                for (int i = 0; a + ((long) i << Pgtable.PAGE_SHIFT) < next; i++) {
                    long pte = new Entry(first.table(), first.index() + i).read("mlock_pte_range: *pte");
                    if (Pgtable.present(pte) && !Pgtable.isZero(pte)) {
                        pages.add(k.page(Pgtable.pfn(pte)));
                    }
                }
                for (Page p : pages) {
                    if (lock) {
                        mlockFolio(p);
                    } else {
                        munlockFolio(p);
                    }
                }
                ptl[0].unlock();
            }
            a = next;
        }
    }

    // ---- the system calls ----------------------------------------------------------------------------

    static final long EINVAL = -22;
    static final long ENOMEM = -12;
    static final long EAGAIN = -11;
    static final long ENOSYS = -38;
    static final long EFAULT = -14;

    /** mlock(2). */
    public long sysMlock(long start, long len, boolean on) {
        return on ? doMlock(start, len, VmFlags.VM_LOCKED) : sysMunlock(start, len);
    }

    /** mlock2(2): MLOCK_ONFAULT adds VM_LOCKONFAULT (4.4+; ENOSYS before). */
    @Mirrors(value = "sys_mlock2", file = "mm/mlock.c", version = "6.x")
    public long sysMlock2(long start, long len, int flags) {
        if (!k.has(Patch.MLOCK_ONFAULT)) {
            return ENOSYS;
        }
        if ((flags & ~1) != 0) {
            return EINVAL;
        }
        return doMlock(start, len, VmFlags.VM_LOCKED | ((flags & 1) != 0 ? VmFlags.VM_LOCKONFAULT : 0));
    }

    /**
     * do_mlock: an unaligned start is rounded down (and the length up); the vm_flags change under
     * mmap_lock for write (partly, up to a hole, which is ENOMEM and populates nothing); then the
     * range is populated: a page that cannot be faulted in is ENOMEM (EFAULT in the kernel), no
     * memory EAGAIN.
     */
    @Mirrors(value = "do_mlock", file = "mm/mlock.c", version = "6.x")
    long doMlock(long start, long len, long flags) {
        MmStruct mm = k.currentMm();
        len = Mmap.pageAlign(len + (start & (Pgtable.PAGE_SIZE - 1)));
        start &= ~(Pgtable.PAGE_SIZE - 1);
        mm.mmapLock.downWrite();
        long err = applyVmaLockFlags(start, len, flags);
        mm.mmapLock.upWrite();
        if (err != 0) {
            return err;
        }
        long r = k.gup.mmPopulate(mm, start, len, false);
        return r == EFAULT ? ENOMEM : r == ENOMEM ? EAGAIN : r;
    }

    /** munlock(2). */
    @Mirrors(value = "sys_munlock", file = "mm/mlock.c", version = "6.x")
    public long sysMunlock(long start, long len) {
        MmStruct mm = k.currentMm();
        len = Mmap.pageAlign(len + (start & (Pgtable.PAGE_SIZE - 1)));
        start &= ~(Pgtable.PAGE_SIZE - 1);
        mm.mmapLock.downWrite();
        long err = applyVmaLockFlags(start, len, 0);
        mm.mmapLock.upWrite();
        return err;
    }

    /**
     * apply_vma_lock_flags: every vma of [start, start + len) gets {@code flags} in place of its
     * VM_LOCKED_MASK bits, in address order; a hole is ENOMEM (what came before it is done).
     */
    @Mirrors(value = "apply_vma_lock_flags", file = "mm/mlock.c", version = "6.x")
    long applyVmaLockFlags(long start, long len, long flags) {
        MmStruct mm = k.currentMm();
        long end = start + len;
        if (Long.compareUnsigned(end, start) < 0) {
            return EINVAL;
        }
        if (end == start) {
            return 0;
        }
        Vma vma = k.mmap.findVma(mm, start);
        long vs = vma == null ? 0 : k.mmap.readStart(vma);
        if (vma == null || vs > start) {
            return ENOMEM;
        }
        long nstart = start;
        long tmp = vs;
        while (vma != null && Long.compareUnsigned(vs, end) < 0) {
            if (vs != tmp) {
                return ENOMEM;
            }
            long vend = k.mmap.readEnd(vma);
            long oldflags = vma.readFlags();
            long newflags = (oldflags & ~VmFlags.VM_LOCKED_MASK) | flags;
            Vma fixed = mlockFixup(vma, nstart, Long.compareUnsigned(vend, end) > 0 ? end : vend, oldflags, newflags);
            tmp = k.mmap.readEnd(fixed);
            nstart = tmp;
            vma = k.mmap.findVma(mm, tmp);
            vs = vma == null ? 0 : k.mmap.readStart(vma);
        }
        if (Long.compareUnsigned(tmp, end) < 0) {
            return ENOMEM;
        }
        return 0;
    }

    /**
     * mlock_fixup: [start, end) of vma gets newflags. The range is split off (and merged with its
     * neighbours, vma_modify_flags) first; locked_vm counts the pages that become or stop being
     * VM_LOCKED. 5.18+: the present pages are mlocked or munlocked by mlock_vma_pages_range; before,
     * mlock sets the flags (populate mlocks the pages) and munlock runs munlock_vma_pages_range.
     * Returns the vma that now covers [start, end).
     */
    @Mirrors(value = "mlock_fixup", file = "mm/mlock.c", version = "6.x")
    Vma mlockFixup(Vma vma, long start, long end, long oldflags, long newflags) {
        if (newflags == oldflags) {
            return vma;
        }
        MmStruct mm = vma.readMm();
        boolean lock = (newflags & VmFlags.VM_LOCKED) != 0;
        boolean wasLocked = (oldflags & VmFlags.VM_LOCKED) != 0;
        long nr = (end - start) >>> Pgtable.PAGE_SHIFT;
        long delta = !lock ? -nr : wasLocked && k.has(Patch.MLOCK_ONFAULT) ? 0 : nr;
        if (k.has(Patch.MLOCK_COUNT)) {
            vma = k.vmaSplit.vmaModifyFlags(vma, start, end, newflags);
            k.step("mm->locked_vm += " + delta, null, m -> {
                m.write(mm.lockedVm, m.read(mm.lockedVm) + delta);
                return 0;
            });
            if (!(lock && wasLocked)) {
                mlockVmaPagesRange(vma, start, end, newflags);
            }
            return vma;
        }
        if (start != k.mmap.readStart(vma)) {
            k.vmaSplit.splitVma(vma, start, true);
        }
        if (end != k.mmap.readEnd(vma)) {
            k.vmaSplit.splitVma(vma, end, false);
        }
        k.step("mm->locked_vm " + (delta >= 0 ? "+= " + delta : "-= " + -delta), null, m -> {
            m.write(mm.lockedVm, m.read(mm.lockedVm) + delta);
            return 0;
        });
        if (lock) {
            k.mmap.writeVmFlags(vma, newflags, "vma->vm_flags = newflags");
        } else {
            munlockVmaPagesRange(vma, start, end);
        }
        if (k.vmaSplit.hasMergeCandidate(mm, vma)) {
            return k.vmaSplit.mergeNeighbours(mm, vma);
        }
        return vma;
    }

    /**
     * mlockall(2): flags must be MCL_CURRENT and/or MCL_FUTURE, with MCL_ONFAULT (4.4+) only beside
     * one of them. MCL_FUTURE sets mm->def_flags; MCL_CURRENT applies VM_LOCKED (| VM_LOCKONFAULT)
     * to every vma and populates them, ignoring errors.
     */
    @Mirrors(value = "sys_mlockall", file = "mm/mlock.c", version = "6.x")
    public long sysMlockall(int flags) {
        int known = 1 | 2 | (k.has(Patch.MLOCK_ONFAULT) ? 4 : 0);
        if (flags == 0 || (flags & ~known) != 0 || flags == 4) {
            return EINVAL;
        }
        MmStruct mm = k.currentMm();
        mm.mmapLock.downWrite();
        applyMlockallFlags(mm, flags);
        mm.mmapLock.upWrite();
        if ((flags & 1) != 0) {
            k.gup.mmPopulate(mm, 0, Mmap.TASK_SIZE, true);
        }
        return 0;
    }

    /** munlockall(2): apply_mlockall_flags(0). */
    @Mirrors(value = "sys_munlockall", file = "mm/mlock.c", version = "6.x")
    public long sysMunlockall() {
        MmStruct mm = k.currentMm();
        mm.mmapLock.downWrite();
        applyMlockallFlags(mm, 0);
        mm.mmapLock.upWrite();
        return 0;
    }

    @Mirrors(value = "apply_mlockall_flags", file = "mm/mlock.c", version = "6.x")
    void applyMlockallFlags(MmStruct mm, int flags) {
        long def = (flags & 2) != 0 ? VmFlags.VM_LOCKED | ((flags & 4) != 0 ? VmFlags.VM_LOCKONFAULT : 0) : 0;
        k.step(mm.name() + "->def_flags = " + VmFlags.names(def), null, m -> {
            m.write(mm.defFlags, (m.read(mm.defFlags) & ~VmFlags.VM_LOCKED_MASK) | def);
            return 0;
        });
        if ((flags & 2) != 0 && (flags & 1) == 0) {
            return;
        }
        long toAdd = (flags & 1) != 0 ? VmFlags.VM_LOCKED | ((flags & 4) != 0 ? VmFlags.VM_LOCKONFAULT : 0) : 0;
        for (Vma vma = k.mmap.findVma(mm, 0); vma != null; ) {
            long oldflags = vma.readFlags();
            long newflags = (oldflags & ~VmFlags.VM_LOCKED_MASK) | toAdd;
            Vma fixed = mlockFixup(vma, k.mmap.readStart(vma), k.mmap.readEnd(vma), oldflags, newflags);
            vma = k.mmap.findVma(mm, k.mmap.readEnd(fixed));
        }
    }
}
