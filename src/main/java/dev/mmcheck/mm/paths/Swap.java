package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.Lru;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;
import dev.mmcheck.mm.types.SwapSpace;
import dev.mmcheck.mm.types.Vma;

/**
 * mm/swap.c, mm/swap_state.c and mm/swapfile.c: page references and LRU insertion, the swap
 * cache, and swap slot counts. LRU additions go straight to the list under lru_lock (the per-CPU
 * pagevecs that batch them in the kernel are drained at once).
 */
public final class Swap {
    private final Kernel k;

    public Swap(Kernel k) {
        this.k = k;
    }

    /** put_page: drop a reference; the last one frees the page (__put_page). */
    @Mirrors(value = "put_page", file = "include/linux/mm.h", version = "5.12.9")
    public void putPage(Page page) {
        boolean last = k.load("put_page_testzero(" + page.name() + ")", m -> {
            return m.addAndSign(page.refcount, -1) == 0 ? 1 : 0;
        }, r -> r == 1 ? "last reference" : "still referenced") == 1;
        if (last) {
            pageCacheRelease(page);
            k.pageAlloc.freeUnrefPage(page);
        }
    }

    /**
     * __page_cache_release: take a dying page off its LRU list; 5.18+ also clears a PG_mlocked still
     * set (a page truncated while an munlock raced it), silently (UNEVICTABLE_PGCLEARED).
     */
    @Mirrors(value = "__page_cache_release", file = "mm/swap.c", version = "6.x")
    void pageCacheRelease(Page page) {
        if (k.has(dev.mmcheck.mm.Patch.FREE_CLEARS_MLOCKED)) {
            k.step("if (folio_test_mlocked) __folio_clear_mlocked(" + page.name() + ")", null, m -> {
                if (page.test(m, PageFlags.PG_mlocked)) {
                    page.clear(m, PageFlags.bit(PageFlags.PG_mlocked));
                    m.write(k.nrMlock, m.read(k.nrMlock) - 1);
                }
                return 0;
            });
        }
        if (page.testFlag(PageFlags.PG_lru)) {
            k.lru.lruLock.lock();
            k.step("del_page_from_lru_list(" + page.name() + ")", null, m -> {
                page.clear(m, (PageFlags.bit(PageFlags.PG_lru) | PageFlags.bit(PageFlags.PG_active) | PageFlags.bit(PageFlags.PG_unevictable)));
                m.write(page.lru, Lru.NONE);
                return 0;
            });
            k.lru.lruLock.unlock();
        }
    }

    /**
     * lru_cache_add_active_or_unevictable (3.16) / lru_cache_add_inactive_or_unevictable (5.x) for a
     * new page of vma: in a VM_LOCKED vma it is mlocked at once and goes to the unevictable list.
     */
    @Mirrors(value = "lru_cache_add_inactive_or_unevictable", file = "mm/swap.c", version = "5.12.9")
    public void lruCacheAddInactiveOrUnevictable(Page page, Vma vma) {
        if (k.has(dev.mmcheck.mm.Patch.MLOCK_COUNT)) { // folio_add_lru_vma
            if (vma != null && (vma.readFlags() & dev.mmcheck.mm.types.VmFlags.VM_LOCKED) != 0) {
                k.mlock.mlockNewFolio(page);
            } else {
                lruCacheAdd(page);
            }
            return;
        }
        if (vma != null && (vma.readFlags() & dev.mmcheck.mm.types.VmFlags.VM_LOCKED) != 0) {
            k.mlock.mlockNewPage(page);
            k.vmscan.addPageToUnevictableList(page);
            return;
        }
        lruCacheAdd(page);
    }

    /** lru_cache_add, with the per-CPU pagevec drained at once: on the page's evictable list. */
    @Mirrors(value = "lru_cache_add", file = "mm/swap.c", version = "3.16")
    public void lruCacheAdd(Page page) {
        k.lru.lruLock.lock();
        k.step("add_page_to_lru_list(" + page.name() + ")", null, m -> {
            boolean swapBacked = page.test(m, PageFlags.PG_swapbacked);
            boolean active = page.test(m, PageFlags.PG_active);
            page.set(m, PageFlags.bit(PageFlags.PG_lru));
            m.write(page.lru, swapBacked ? (active ? Lru.ACTIVE_ANON : Lru.INACTIVE_ANON) : (active ? Lru.ACTIVE_FILE : Lru.INACTIVE_FILE));
            return 0;
        });
        k.lru.lruLock.unlock();
    }

    // ---- swap slots and the swap cache ----------------------------------------------------------

    /**
     * add_to_swap: a swap slot for the page and the page in the swap cache (one more reference).
     * The slot is the first free one of this CPU's cluster, else of the whole device
     * (scan_swap_map_slots: the CPU's cluster first).
     */
    @Mirrors(value = "add_to_swap", file = "mm/swap_state.c", version = "5.12.9")
    public boolean addToSwap(Page page) {
        SwapSpace s = k.swap;
        int first = s.clusterOf(k.cpu());
        long slot = k.load("get_swap_page() + add_to_swap_cache(" + page.name() + ")", m -> {
            int i = s.firstFree(m, first, first + s.perCpu);
            if (i < 0) {
                i = s.firstFree(m, 0, s.map.length);
            }
            if (i < 0) {
                return -1;
            }
            m.write(s.cache[i], page.pfn + 1);
            m.add(page.refcount, 1);
            page.set(m, PageFlags.bit(PageFlags.PG_swapcache) | PageFlags.bit(PageFlags.PG_dirty));
            m.write(page.privateSlot, i);
            return i;
        }, r -> r < 0 ? "no swap space" : "swap slot " + r);
        return slot >= 0;
    }

    /** swap_duplicate: one more swap pte will refer to the slot. */
    @Mirrors(value = "swap_duplicate", file = "mm/swapfile.c", version = "5.12.9")
    public boolean swapDuplicate(int slot) {
        k.step("swap_duplicate(swap slot " + slot + ")", null, m -> {
            m.write(k.swap.map[slot], m.read(k.swap.map[slot]) + 1);
            return 0;
        });
        return true;
    }

    /** swap_free: a swap pte referring to the slot is gone. */
    @Mirrors(value = "swap_free", file = "mm/swapfile.c", version = "5.12.9")
    public void swapFree(int slot) {
        k.step("swap_free(swap slot " + slot + ")", null, m -> {
            m.write(k.swap.map[slot], m.read(k.swap.map[slot]) - 1);
            return 0;
        });
    }

    /** free_swap_and_cache: swap_free, and drop the swap-cache page if nothing else needs it. */
    @Mirrors(value = "free_swap_and_cache", file = "mm/swapfile.c", version = "5.12.9")
    public void freeSwapAndCache(int slot) {
        swapFree(slot);
        Page page = lookupSwapCache(slot);
        if (page == null) {
            return;
        }
        if (page.trylock()) {
            tryToFreeSwap(page);
            page.unlock();
        }
        putPage(page);
    }

    /** lookup_swap_cache: the cached page with a reference taken, unless it is being freed. */
    @Mirrors(value = "lookup_swap_cache", file = "mm/swap_state.c", version = "5.12.9")
    public Page lookupSwapCache(int slot) {
        return k.filemap.findGetEntry("lookup_swap_cache(swap slot " + slot + ")", k.swap.cache[slot]);
    }

    /** swapin_readahead of one page: a new page in the swap cache and on the LRU, read from the slot. */
    @Mirrors(value = "__read_swap_cache_async", file = "mm/swap_state.c", version = "5.12.9")
    public Page swapinReadahead(int slot, Vma vma) {
        Page page = k.pageAlloc.allocPage();
        k.step("add_to_swap_cache(" + page.name() + ", swap slot " + slot + ") + swap_readpage", null, m -> {
            m.write(k.swap.cache[slot], page.pfn + 1);
            m.add(page.refcount, 1);
            page.set(m, PageFlags.bit(PageFlags.PG_swapcache)
                    | PageFlags.bit(PageFlags.PG_swapbacked) | PageFlags.bit(PageFlags.PG_uptodate));
            m.write(page.privateSlot, slot);
            return 0;
        });
        lruCacheAdd(page); // read_swap_cache_async: a plain LRU add; mlock comes later, from the rmap or populate
        return page;
    }

    /** try_to_free_swap: once no swap pte refers to the slot, the page leaves the swap cache. Page locked. */
    @Mirrors(value = "try_to_free_swap", file = "mm/swapfile.c", version = "5.12.9")
    public void tryToFreeSwap(Page page) {
        boolean freed = k.load("try_to_free_swap(" + page.name() + ")", m -> {
            if (!page.test(m, PageFlags.PG_swapcache)) {
                return 0;
            }
            int slot = (int) m.read(page.privateSlot);
            if (m.read(k.swap.map[slot]) != 0) {
                return 0;
            }
            deleteFromSwapCache(m, page, slot);
            return 1;
        }, Kernel::yesNo) == 1;
        if (freed) {
            putPage(page);
        }
    }

    /** __delete_from_swap_cache (the swap cache's reference is dropped by the caller). */
    void deleteFromSwapCache(Memory m, Page page, int slot) {
        page.clear(m, PageFlags.bit(PageFlags.PG_swapcache));
        m.write(page.privateSlot, 0);
        m.write(k.swap.cache[slot], 0);
    }
}
