package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.ModelError;
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
            long f = m.read(page.flags);
            if ((f & PageFlags.bit(PageFlags.PG_mlocked)) != 0) {
                return 1;
            }
            m.write(page.flags, f | PageFlags.bit(PageFlags.PG_mlocked));
            m.write(k.nrMlock, m.read(k.nrMlock) + 1);
            return 0;
        }, r -> r == 1 ? "was set" : "was clear: NR_MLOCK++") == 1;
    }

    /** TestClearPageMlocked, counting NR_MLOCK; returns the old bit. */
    boolean testClearPageMlocked(Page page) {
        return k.load("TestClearPageMlocked(" + page.name() + ")", m -> {
            long f = m.read(page.flags);
            if ((f & PageFlags.bit(PageFlags.PG_mlocked)) == 0) {
                return 0;
            }
            m.write(page.flags, f & ~PageFlags.bit(PageFlags.PG_mlocked));
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
            long f = m.read(page.flags);
            if ((f & PageFlags.bit(PageFlags.PG_lru)) == 0) {
                return 0;
            }
            if (getpage) {
                m.write(page.refcount, m.read(page.refcount) + 1);
            }
            m.write(page.flags, f & ~PageFlags.bit(PageFlags.PG_lru));
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
            Page page = k.gup.followPageMask(vma, start, true);
            if (page != null) {
                List<Page> pvec = new ArrayList<>();
                pvec.add(page);
                start = munlockPagevecFill(pvec, vma, start, end);
                munlockPagevec(pvec);
                continue;
            }
            start += Pgtable.PAGE_SIZE;
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

    // ---- the system calls ----------------------------------------------------------------------------

    /** mlock(2) and munlock(2) of whole vmas: mlock_fixup under mmap_lock for write, then populate for mlock. */
    @Mirrors(value = "do_mlock", file = "mm/mlock.c", version = "3.16")
    public long sysMlock(long start, long len, boolean on) {
        MmStruct mm = k.currentMm();
        if ((start & (Pgtable.PAGE_SIZE - 1)) != 0) {
            len += start & (Pgtable.PAGE_SIZE - 1);
            start &= ~(Pgtable.PAGE_SIZE - 1);
        }
        len = (len + Pgtable.PAGE_SIZE - 1) & ~(Pgtable.PAGE_SIZE - 1);
        long end = start + len;
        mm.mmapLock.downWrite();
        for (long a = start; a < end; ) {
            Vma vma = k.mmap.findVma(mm, a);
            if (vma == null || k.mmap.readStart(vma) > a) {
                mm.mmapLock.upWrite();
                return -12; // ENOMEM: a hole
            }
            long vend = k.mmap.readEnd(vma);
            long flags = vma.readFlags();
            long newflags = on ? flags | VmFlags.VM_LOCKED : flags & ~VmFlags.VM_LOCKED;
            mlockFixup(vma, a, Math.min(end, vend), flags, newflags);
            a = vend;
        }
        mm.mmapLock.upWrite();
        return on ? k.gup.mmPopulate(mm, start, len) : 0;
    }

    @Mirrors(value = "mlock_fixup", file = "mm/mlock.c", version = "3.16")
    void mlockFixup(Vma vma, long start, long end, long oldflags, long newflags) {
        if (newflags == oldflags) {
            return;
        }
        if (start != k.mmap.readStart(vma) || end != k.mmap.readEnd(vma)) {
            throw new ModelError("mlock/munlock of part of a vma: vma splitting is not modelled", null);
        }
        MmStruct mm = vma.readMm();
        long nr = (end - start) >>> Pgtable.PAGE_SHIFT;
        boolean lock = (newflags & VmFlags.VM_LOCKED) != 0;
        k.step("mm->locked_vm " + (lock ? "+= " : "-= ") + nr, null, m -> {
            m.write(mm.lockedVm, m.read(mm.lockedVm) + (lock ? nr : -nr));
            return 0;
        });
        if (lock) {
            k.mmap.writeVmFlags(vma, newflags, "vma->vm_flags = newflags");
        } else {
            munlockVmaPagesRange(vma, start, end);
        }
    }
}
