package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.AddressSpace;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;
import dev.mmcheck.mm.types.Pgtable;

/** mm/truncate.c: shrinking a file, unmapping and dropping its pages beyond the new size. */
public final class Truncate {
    private final Kernel k;

    public Truncate(Kernel k) {
        this.k = k;
    }

    /** truncate_setsize: the new size first, then the page cache. */
    @Mirrors(value = "truncate_setsize", file = "mm/truncate.c", version = "3.16")
    public void truncateSetsize(AddressSpace mapping, long newsize) {
        k.filemap.iSizeWrite(mapping, newsize);
        truncatePagecache(mapping, newsize);
    }

    /**
     * truncate_pagecache: unmap everything beyond the new size, private COWs included (the
     * preliminary unmap), drop the page cache pages, then unmap again for COWs made meanwhile.
     */
    @Mirrors(value = "truncate_pagecache", file = "mm/truncate.c", version = "3.16")
    public void truncatePagecache(AddressSpace mapping, long newsize) {
        long holebegin = (newsize + Pgtable.PAGE_SIZE - 1) & ~(Pgtable.PAGE_SIZE - 1);
        k.memoryC.unmapMappingRange(mapping, holebegin, 0, true);
        truncateInodePages(mapping, newsize);
        k.memoryC.unmapMappingRange(mapping, holebegin, 0, true);
    }

    /** truncate_inode_pages_range, one pass that waits for each page lock. */
    @Mirrors(value = "truncate_inode_pages_range", file = "mm/truncate.c", version = "3.16")
    void truncateInodePages(AddressSpace mapping, long lstart) {
        long start = (lstart + Pgtable.PAGE_SIZE - 1) >>> Pgtable.PAGE_SHIFT;
        for (long index = start; index < mapping.pageCache.length; index++) {
            Page page = k.filemap.findGetPage(mapping, index);
            if (page == null) {
                continue;
            }
            page.lock();
            truncateInodePage(mapping, page);
            page.unlock();
            k.swapC.putPage(page);
        }
    }

    /** truncate_inode_page: unmap it if still mapped (not COWs), then drop it from the page cache. */
    @Mirrors(value = "truncate_inode_page", file = "mm/truncate.c", version = "3.16")
    void truncateInodePage(AddressSpace mapping, Page page) {
        if (page.mapped()) {
            k.memoryC.unmapMappingRange(mapping, page.readIndex() << Pgtable.PAGE_SHIFT, Pgtable.PAGE_SIZE, false);
        }
        truncateCompletePage(mapping, page);
    }

    @Mirrors(value = "truncate_complete_page", file = "mm/truncate.c", version = "3.16")
    void truncateCompletePage(AddressSpace mapping, Page page) {
        if (page.readMapping() != Filemap.fileTag(mapping)) {
            return;
        }
        page.clearFlag(PageFlags.PG_dirty); // cancel_dirty_page
        k.filemap.deleteFromPageCache(page);
    }
}
