package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.Lru;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;

/**
 * mm/vmscan.c: reclaim of one anonymous page, as shrink_inactive_list would do it after choosing
 * it: isolate it, then shrink_page_list: swap it out and free it, or put it back.
 */
public final class Vmscan {
    private final Kernel k;

    public Vmscan(Kernel k) {
        this.k = k;
    }

    /** Reclaim this page if it can be: what a reclaiming CPU does with one page it scanned. */
    public void reclaimPage(Page page) {
        if (!isolateLruPage(page)) {
            return;
        }
        shrinkPageList(page);
    }

    /** isolate_lru_page (5.11+ form: TestClearPageLRU first, then the list under lru_lock). */
    @Mirrors(value = "isolate_lru_page", file = "mm/vmscan.c", version = "5.12.9")
    public boolean isolateLruPage(Page page) {
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

    /**
     * shrink_page_list for one isolated anonymous page. pageout completes at once (the write to
     * swap is not modelled as taking time: PG_writeback is never seen set).
     */
    @Mirrors(value = "shrink_page_list", file = "mm/vmscan.c", version = "5.12.9")
    public void shrinkPageList(Page page) {
        if (!page.trylock()) {
            putbackLruPage(page);
            return;
        }
        if (!page.testFlag(PageFlags.PG_swapcache)) {
            if (!k.swapC.addToSwap(page)) {
                keepLocked(page);
                return;
            }
        }
        if (page.readMapcount() != 0) {
            if (!k.rmap.tryToUnmap(page, Rmap.TTU_BATCH_FLUSH)) {
                keepLocked(page);
                return;
            }
        }
        if (page.testFlag(PageFlags.PG_dirty)) {
            pageout(page);
        }
        if (!removeMapping(page)) {
            keepLocked(page);
            return;
        }
        page.unlock();
        // free_it: the reference was frozen to zero by __remove_mapping.
        k.pageAlloc.freeUnrefPage(page);
    }

    private void keepLocked(Page page) {
        page.unlock();
        putbackLruPage(page);
    }

    /** pageout to swap: clear_page_dirty_for_io, and the write is done. */
    @Mirrors(value = "pageout", file = "mm/vmscan.c", version = "5.12.9")
    void pageout(Page page) {
        page.testClearFlag(PageFlags.PG_dirty);
    }

    /** __remove_mapping for a swap-cache page: freeze the two expected references, leave the swap cache. */
    @Mirrors(value = "__remove_mapping", file = "mm/vmscan.c", version = "5.12.9")
    boolean removeMapping(Page page) {
        return k.load("page_ref_freeze(" + page.name() + ", 2) + __delete_from_swap_cache", m -> {
            if (m.read(page.refcount) != 2) {
                return 0;
            }
            if ((m.read(page.flags) & PageFlags.bit(PageFlags.PG_dirty)) != 0) {
                return 0;
            }
            m.write(page.refcount, 0);
            k.swapC.deleteFromSwapCache(m, page, (int) m.read(page.privateSlot));
            return 1;
        }, r -> r == 1 ? "frozen" : "busy, keep") == 1;
    }

    /** putback_lru_page: back on an LRU list, dropping the isolation reference. */
    @Mirrors(value = "putback_lru_page", file = "mm/vmscan.c", version = "5.12.9")
    public void putbackLruPage(Page page) {
        k.swapC.lruCacheAddInactiveOrUnevictable(page, null);
        k.swapC.putPage(page);
    }
}
