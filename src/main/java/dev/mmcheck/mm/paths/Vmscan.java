package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.mm.types.Lru;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;

/**
 * mm/vmscan.c: reclaim of one page, as shrink_inactive_list does it after choosing it (isolate it,
 * then shrink_page_list: swap it out or drop it from the page cache and free it, cull it to the
 * unevictable list, or put it back), and the LRU helpers the mlock code uses.
 */
public final class Vmscan {
    private final Kernel k;

    public Vmscan(Kernel k) {
        this.k = k;
    }

    /** Reclaim this page if it can be: what a reclaiming CPU does with one page it scanned. */
    public void reclaimPage(Page page) {
        if (!isolateLruPages(page)) {
            return;
        }
        shrinkPageList(page);
    }

    /**
     * isolate_lru_pages for one page: under lru_lock, a reference unless the page is already
     * being freed (get_page_unless_zero), then PG_lru cleared and the page off its list. Reclaim
     * scans only the evictable lists: a page on the unevictable list is not taken.
     */
    @Mirrors(value = "isolate_lru_pages", file = "mm/vmscan.c", version = "5.12.9")
    boolean isolateLruPages(Page page) {
        return isolateLruPages(page, false);
    }

    /** With {@code unevictable}: compaction's ISOLATE_UNEVICTABLE (compact_unevictable_allowed), which takes mlocked pages too. */
    boolean isolateLruPages(Page page, boolean unevictable) {
        k.lru.lruLock.lock();
        boolean isolated = k.load("__isolate_lru_page(" + page.name() + ")", m -> {
            if (!page.test(m, PageFlags.PG_lru)) {
                return 0;
            }
            if (!unevictable && page.test(m, PageFlags.PG_unevictable)) {
                return 0;
            }
            if (!m.addUnlessZero(page.refcount, 1)) {
                return 0; // get_page_unless_zero: it is being freed
            }
            page.clear(m, PageFlags.bit(PageFlags.PG_lru));
            m.write(page.lru, Lru.NONE);
            return 1;
        }, r -> r == 1 ? "isolated" : "not on an LRU") == 1;
        k.lru.lruLock.unlock();
        return isolated;
    }

    /**
     * isolate_lru_page: for callers that already hold a reference. Before 5.11 PG_lru is tested and
     * cleared under lru_lock; from 5.11 it is test-and-cleared first.
     */
    @Mirrors(value = "isolate_lru_page", file = "mm/vmscan.c", version = "3.16")
    public boolean isolateLruPage(Page page) {
        if (k.has(Patch.TEST_CLEAR_PAGE_LRU)) {
            if (!page.testClearFlag(PageFlags.PG_lru)) {
                return false;
            }
            page.get();
            k.lru.lruLock.lock();
            k.step("del_page_from_lru_list(" + page.name() + ")", null, m -> {
                m.write(page.lru, Lru.NONE);
                return 0;
            });
            k.lru.lruLock.unlock();
            return true;
        }
        if (!page.testFlag(PageFlags.PG_lru)) {
            return false;
        }
        k.lru.lruLock.lock();
        boolean isolated = k.load("if (PageLRU) { get_page; ClearPageLRU; del_page_from_lru_list }(" + page.name() + ")", m -> {
            if (!page.test(m, PageFlags.PG_lru)) {
                return 0;
            }
            m.add(page.refcount, 1);
            page.clear(m, PageFlags.bit(PageFlags.PG_lru));
            m.write(page.lru, Lru.NONE);
            return 1;
        }, r -> r == 1 ? "isolated" : "not on an LRU") == 1;
        k.lru.lruLock.unlock();
        return isolated;
    }

    /** page_evictable: not mlocked (no unevictable mappings are modelled). */
    @Mirrors(value = "page_evictable", file = "mm/vmscan.c", version = "3.16")
    public boolean pageEvictable(Page page) {
        return !page.testFlag(PageFlags.PG_mlocked);
    }

    /**
     * shrink_page_list for one isolated page (3.16 flow; 5.12 ends mlocked pages the same way through
     * activate_locked and move_pages_to_lru). Reference checks are not modelled: the page is one
     * page_check_references let through. pageout completes at once. The loop body leaves the page
     * unlocked on the list to free or on ret_pages, which the caller puts back; which of the two is
     * all the rest depends on, so how the body got there is forgotten once it is done.
     */
    @Mirrors(value = "shrink_page_list", file = "mm/vmscan.c", version = "3.16")
    public void shrinkPageList(Page page) {
        if (k.summarized("shrink_page_list", () -> shrinkPageListOne(page)) == FREE_IT) {
            // free_it: the references were frozen to zero by __remove_mapping.
            k.pageAlloc.freeUnrefPage(page);
        } else {
            putbackLruPage(page); // keep: on ret_pages, put back by putback_inactive_pages
        }
    }

    private static final int KEEP = 0;
    private static final int FREE_IT = 1;

    /** The loop body of shrink_page_list for {@code page}: KEEP or FREE_IT, the page unlocked. */
    private long shrinkPageListOne(Page page) {
        if (!page.trylock()) {
            return KEEP;
        }
        if (!pageEvictable(page)) {
            return cullMlocked(page);
        }
        long mapping = page.readMapping();
        boolean anon = (mapping & Page.MAPPING_ANON) != 0;
        if (anon && !page.testFlag(PageFlags.PG_swapcache)) {
            if (!k.swapC.addToSwap(page)) {
                return keepLocked(page);
            }
        }
        if (page.mapped() && mapping != 0) {
            switch (k.rmap.tryToUnmap(page, Rmap.TTU_UNMAP | Rmap.TTU_BATCH_FLUSH)) {
                case Rmap.SWAP_FAIL, Rmap.SWAP_AGAIN -> {
                    return keepLocked(page);
                }
                case Rmap.SWAP_MLOCK -> {
                    return cullMlocked(page);
                }
                default -> { }
            }
        }
        if (page.testFlag(PageFlags.PG_dirty)) {
            pageout(page);
        }
        if ((!anon && mapping == 0) || !removeMapping(page, anon)) { // truncated: no mapping to remove it from
            return keepLocked(page);
        }
        page.unlock();
        return FREE_IT;
    }

    /** cull_mlocked: the page belongs on the unevictable list (putback_lru_page sees to it). */
    private long cullMlocked(Page page) {
        if (page.testFlag(PageFlags.PG_swapcache)) {
            k.swapC.tryToFreeSwap(page);
        }
        page.unlock();
        return KEEP;
    }

    private long keepLocked(Page page) {
        page.unlock();
        return KEEP;
    }

    /** pageout: clear_page_dirty_for_io, and the write is done. */
    @Mirrors(value = "pageout", file = "mm/vmscan.c", version = "3.16")
    void pageout(Page page) {
        page.testClearFlag(PageFlags.PG_dirty);
    }

    /**
     * __remove_mapping: freeze the two expected references (isolation and the swap or page cache)
     * and leave the swap cache or the page cache.
     */
    @Mirrors(value = "__remove_mapping", file = "mm/vmscan.c", version = "3.16")
    boolean removeMapping(Page page, boolean anon) {
        return k.load("page_ref_freeze(" + page.name() + ", 2) + " + (anon ? "__delete_from_swap_cache" : "__delete_from_page_cache"), m -> {
            if (m.read(page.refcount) != 2) {
                return 0;
            }
            if (page.test(m, PageFlags.PG_dirty)) {
                return 0;
            }
            m.write(page.refcount, 0);
            if (anon) {
                k.swapC.deleteFromSwapCache(m, page, (int) m.read(page.privateSlot));
            } else {
                k.filemap.deleteFromPageCacheLocked(m, page);
            }
            return 1;
        }, r -> r == 1 ? "frozen" : "busy, keep") == 1;
    }

    /**
     * putback_lru_page: back on the right list, dropping the isolation reference. An unevictable
     * page goes straight to the unevictable list, then page_evictable is tested again: the other
     * half of the hand-shake with munlock's TestClearPageMlocked, so a page munlocked meanwhile is
     * not stranded.
     */
    @Mirrors(value = "putback_lru_page", file = "mm/vmscan.c", version = "3.16")
    public void putbackLruPage(Page page) {
        while (true) {
            page.clearFlag(PageFlags.PG_unevictable);
            if (pageEvictable(page)) {
                k.swapC.lruCacheAdd(page);
                break;
            }
            addPageToUnevictableList(page);
            if (pageEvictable(page) && isolateLruPage(page)) {
                k.swapC.putPage(page);
                continue;
            }
            break;
        }
        k.swapC.putPage(page);
    }

    /** add_page_to_unevictable_list. */
    @Mirrors(value = "add_page_to_unevictable_list", file = "mm/swap.c", version = "3.16")
    void addPageToUnevictableList(Page page) {
        k.lru.lruLock.lock();
        k.step("add_page_to_lru_list(" + page.name() + ", unevictable)", null, m -> {
            page.clear(m, PageFlags.bit(PageFlags.PG_active));
            page.set(m, PageFlags.bit(PageFlags.PG_unevictable) | PageFlags.bit(PageFlags.PG_lru));
            m.write(page.lru, Lru.UNEVICTABLE);
            return 0;
        });
        k.lru.lruLock.unlock();
    }
}
