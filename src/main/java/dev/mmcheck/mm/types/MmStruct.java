package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;

/** mm_struct: an address space. Its vmas form a list sorted by address, headed by {@code mmap}. */
public final class MmStruct {
    public final int id;
    public final RwSemaphore mmapLock;
    public final SpinLock pageTableLock;
    public final PageTable pgd;
    /** First vma's id + 1, or 0. */
    public final int mmap;
    public final int mapCount;

    public MmStruct(Kernel k, int id, PageTable pgd) {
        this.id = id;
        String n = "mm" + id;
        this.mmapLock = new RwSemaphore(k, n + ".mmap_lock");
        this.pageTableLock = new SpinLock(k, n + ".page_table_lock");
        this.pgd = pgd;
        this.mmap = k.layout.alloc(n + ".mmap");
        this.mapCount = k.layout.alloc(n + ".map_count");
    }

    public String name() {
        return "mm" + id;
    }

    @Override
    public String toString() {
        return name();
    }
}
