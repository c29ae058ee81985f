package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.AddressSpace;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;
import dev.mmcheck.mm.types.Pgtable;

/** mm/filemap.c: the page cache of a file. Pages are read in when first faulted; reads complete at once. */
public final class Filemap {
    private final Kernel k;

    public Filemap(Kernel k) {
        this.k = k;
    }

    /** find_get_page: the cached page with a reference taken, unless it is being freed. */
    @Mirrors(value = "find_get_page", file = "mm/filemap.c", version = "3.16")
    public Page findGetPage(AddressSpace mapping, long index) {
        if (index >= mapping.pageCache.length) {
            return null;
        }
        return findGetEntry("find_get_page(" + mapping.name() + ", " + index + ")", mapping.pageCache[(int) index]);
    }

    /**
     * find_get_entry: the page in a cache entry ({@code entry}, the slot holding its pfn + 1) with a
     * reference taken, unless the entry is empty or the page is being freed. The swap cache is
     * looked up the same way ({@link Swap#lookupSwapCache}). {@code what} names the lookup in traces.
     */
    @Mirrors(value = "find_get_entry", file = "mm/filemap.c", version = "3.16")
    Page findGetEntry(String what, int entry) {
        long pfn1 = k.load(what, m -> {
            long v = m.read(entry);
            if (v == 0) {
                return 0;
            }
            Page p = k.page((int) v - 1);
            if (!m.addUnlessZero(p.refcount, 1)) {
                return 0; // get_page_unless_zero failed: it is being freed
            }
            return v;
        }, r -> r == 0 ? "miss" : "pfn " + (r - 1));
        return pfn1 == 0 ? null : k.page((int) pfn1 - 1);
    }

    /**
     * filemap_fault: the page at index, locked and with a reference, reading it in if it is not
     * cached; null beyond the end of the file (SIGBUS).
     */
    @Mirrors(value = "filemap_fault", file = "mm/filemap.c", version = "3.16")
    public Page filemapFault(AddressSpace mapping, long index) {
        long size = k.load(mapping.name() + "->i_size", m -> m.read(mapping.size), r -> r + " pages");
        if (index >= size) {
            return null;
        }
        while (true) {
            Page cached = findGetPage(mapping, index);
            if (cached != null) {
                cached.lock();
                if (cached.readMapping() != fileTag(mapping)) {
                    cached.unlock();
                    k.swapC.putPage(cached); // truncated meanwhile: look again
                    continue;
                }
                return cached;
            }
            Page page = k.pageAlloc.allocPage();
            page.lock();
            if (addToPageCacheLru(page, mapping, index)) {
                return page;
            }
            page.unlock();
            k.swapC.putPage(page);
        }
    }

    /** add_to_page_cache_lru: insert a new locked page (the page cache takes a reference) and add it to the LRU. */
    @Mirrors(value = "add_to_page_cache_lru", file = "mm/filemap.c", version = "3.16")
    boolean addToPageCacheLru(Page page, AddressSpace mapping, long index) {
        int slot = mapping.pageCache[(int) index];
        boolean added = k.load("add_to_page_cache(" + page.name() + ", " + mapping.name() + ", " + index + ")", m -> {
            if (m.read(slot) != 0) {
                return 0;
            }
            m.write(slot, page.pfn + 1);
            m.add(page.refcount, 1);
            m.write(page.mapping, fileTag(mapping));
            m.write(page.index, index);
            page.set(m, PageFlags.bit(PageFlags.PG_uptodate));
            return 1;
        }, r -> r == 1 ? "added" : "-EEXIST") == 1;
        if (added) {
            k.swapC.lruCacheAdd(page);
        }
        return added;
    }

    /** The page->mapping value of a page of this file. */
    public static long fileTag(AddressSpace mapping) {
        return Page.MAPPING_FILE | (mapping.id + 1);
    }

    /** __delete_from_page_cache inside a step that already holds the mapping's tree lock. */
    void deleteFromPageCacheLocked(Memory m, Page page) {
        long mapping = m.read(page.mapping);
        if ((mapping & Page.MAPPING_FILE) == 0) {
            return;
        }
        AddressSpace as = k.file((int) (mapping & ~Page.MAPPING_FILE) - 1);
        int index = (int) m.read(page.index);
        if (index < as.pageCache.length && m.read(as.pageCache[index]) == page.pfn + 1) {
            m.write(as.pageCache[index], 0);
        }
        m.write(page.mapping, 0);
    }

    /** delete_from_page_cache: out of the page cache, dropping its reference. Page locked. */
    @Mirrors(value = "delete_from_page_cache", file = "mm/filemap.c", version = "3.16")
    public void deleteFromPageCache(Page page) {
        k.step("__delete_from_page_cache(" + page.name() + ")", null, m -> {
            deleteFromPageCacheLocked(m, page);
            return 0;
        });
        k.swapC.putPage(page);
    }

    /** The i_size of a file in pages, as set by truncate_setsize. */
    public void iSizeWrite(AddressSpace mapping, long bytes) {
        long pages = (bytes + Pgtable.PAGE_SIZE - 1) >>> Pgtable.PAGE_SHIFT;
        k.step("i_size_write(" + mapping.name() + ", " + bytes + ")", null, m -> {
            m.write(mapping.size, pages);
            m.write(mapping.allocated, 1);
            return 0;
        });
    }
}
