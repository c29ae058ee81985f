package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;

/**
 * struct address_space of a file: the i_mmap tree of vmas mapping it (in traversal order, as for
 * the anon_vma chain), its rwsem, and the page cache (file page index -> pfn + 1).
 */
public final class AddressSpace {
    public static final int CHAIN = 7;
    public final int id;
    public final RwSemaphore iMmapRwsem;
    public final int[] iMmap = new int[CHAIN];
    /** <= 3.19: the nonlinear vmas (remap_file_pages), searched by the cluster scan. */
    public final int[] iMmapNonlinear = new int[CHAIN];
    public final int[] pageCache;
    public final int size;
    /** 1 once the object exists: a scenario's file from the start, a shared anonymous mapping's shmem object from its mmap. */
    public final int allocated;

    public AddressSpace(Kernel k, int id, int pages) {
        this.id = id;
        String n = "mapping" + id;
        this.iMmapRwsem = new RwSemaphore(k, n + ".i_mmap_rwsem");
        for (int i = 0; i < CHAIN; i++) {
            iMmap[i] = k.layout.alloc(n + ".i_mmap[" + i + "]");
        }
        for (int i = 0; i < CHAIN; i++) {
            iMmapNonlinear[i] = k.layout.alloc(n + ".i_mmap_nonlinear[" + i + "]");
        }
        pageCache = new int[pages];
        for (int i = 0; i < pages; i++) {
            pageCache[i] = k.layout.alloc(n + ".i_pages[" + i + "]");
        }
        this.size = k.layout.alloc(n + ".i_size");
        this.allocated = k.layout.alloc(n + ".allocated");
    }

    public String name() {
        return "mapping" + id;
    }

    @Override
    public String toString() {
        return name();
    }
}
