package dev.mmcheck.mm.types;

import static dev.mmcheck.mm.types.PageFlags.bit;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.lockdep.Acquisition;
import dev.mmcheck.mm.lockdep.LockClass;
import dev.mmcheck.mm.lockdep.Mode;

/**
 * struct page of a data page. Fields are slots; each method that touches one is one step.
 * {@code mapcount} holds page_mapcount() (the kernel's _mapcount + 1).
 */
public final class Page {
    /** page->mapping low bit PAGE_MAPPING_ANON; the rest names an anon_vma (or an address_space). */
    public static final long MAPPING_ANON = 1L << 40;
    /** page->mapping of a page-cache page: this tag and the address_space id + 1. */
    public static final long MAPPING_FILE = 1L << 41;

    private final Kernel k;
    public final int pfn;
    public final int flags;
    public final int refcount;
    public final int mapcount;
    public final int mapping;
    public final int index;
    public final int privateSlot;
    /** Which LRU list the page is on ({@link Lru}), meaningful while PG_lru is set. */
    public final int lru;
    /** 1 while allocated, 0 while on the free lists. */
    public final int allocated;
    /** 1 while in the buddy allocator's free lists (a free page on a CPU's list is not). */
    public final int buddy;
    /** page->mlock_count (5.18+, overlaying lru.prev while on the unevictable list): how many VM_LOCKED vmas mlocked it. */
    public final int mlockCount;
    private final Acquisition lockIt;
    private final Acquisition tryIt;

    public Page(Kernel k, int pfn) {
        this.k = k;
        this.pfn = pfn;
        String n = "page" + pfn;
        this.flags = k.layout.alloc(n + ".flags");
        this.refcount = k.layout.alloc(n + "._refcount");
        this.mapcount = k.layout.alloc(n + ".mapcount");
        this.mapping = k.layout.alloc(n + ".mapping");
        this.index = k.layout.alloc(n + ".index");
        this.privateSlot = k.layout.alloc(n + ".private");
        this.lru = k.layout.alloc(n + ".lru");
        this.allocated = k.layout.alloc(n + ".allocated");
        this.buddy = k.layout.alloc(n + ".buddy");
        this.mlockCount = k.layout.alloc(n + ".mlock_count");
        this.lockIt = new Acquisition(this, toString(), LockClass.PAGE_LOCK, Mode.EXCLUSIVE, false, flags);
        this.tryIt = new Acquisition(this, toString(), LockClass.PAGE_LOCK, Mode.EXCLUSIVE, true, flags);
    }

    public String name() {
        return "pfn " + pfn;
    }

    public boolean testFlag(int flag) {
        return k.load("Page" + cap(flag) + "(" + name() + ")", m -> (m.read(flags) >>> flag) & 1, Kernel::yesNo) == 1;
    }

    public void setFlag(int flag) {
        k.step("SetPage" + cap(flag) + "(" + name() + ")", null, m -> {
            m.write(flags, m.read(flags) | bit(flag));
            return 0;
        });
    }

    public void clearFlag(int flag) {
        k.step("ClearPage" + cap(flag) + "(" + name() + ")", null, m -> {
            m.write(flags, m.read(flags) & ~bit(flag));
            return 0;
        });
    }

    /** Atomic test-and-set; returns the old bit. */
    public boolean testSetFlag(int flag) {
        return k.load("TestSetPage" + cap(flag) + "(" + name() + ")", m -> {
            long f = m.read(flags);
            m.write(flags, f | bit(flag));
            return (f >>> flag) & 1;
        }, r -> r == 1 ? "was set" : "was clear") == 1;
    }

    /** Atomic test-and-clear; returns the old bit. */
    public boolean testClearFlag(int flag) {
        return k.load("TestClearPage" + cap(flag) + "(" + name() + ")", m -> {
            long f = m.read(flags);
            m.write(flags, f & ~bit(flag));
            return (f >>> flag) & 1;
        }, r -> r == 1 ? "was set" : "was clear") == 1;
    }

    /**
     * lock_page: sleeps until PG_locked is clear, then sets it. The engine knows the page lock by
     * the slot of page->flags that holds its bit (other bits of that word change without it).
     */
    public void lock() {
        k.lockdep.mightSleep(lockIt);
        k.acquire(lockIt, "lock_page(" + name() + ")", m -> (m.read(flags) & bit(PageFlags.PG_locked)) == 0, m -> {
            m.write(flags, m.read(flags) | bit(PageFlags.PG_locked));
            m.acquired(flags, false);
            return 0;
        }, null);
        k.lockdep.acquired(lockIt);
    }

    public boolean trylock() {
        boolean taken = k.acquire(tryIt, "trylock_page(" + name() + ")", null, m -> {
            long f = m.read(flags);
            m.write(flags, f | bit(PageFlags.PG_locked));
            if ((f & bit(PageFlags.PG_locked)) == 0) {
                m.acquired(flags, false);
            }
            return (f >>> PageFlags.PG_locked) & 1;
        }, r -> r == 0 ? "locked" : "busy") == 0;
        if (taken) {
            k.lockdep.acquired(tryIt);
        }
        return taken;
    }

    public void unlock() {
        boolean mine = k.held().contains(this); // unlock_page of a page another CPU locked (a bug) releases nothing of ours
        k.step("unlock_page(" + name() + ")", null, m -> {
            m.write(flags, m.read(flags) & ~bit(PageFlags.PG_locked));
            if (mine) {
                m.released(flags);
            }
            return 0;
        });
        k.lockdep.released(this);
    }

    public long readMapcount() {
        return k.load("page_mapcount(" + name() + ")", m -> m.read(mapcount), Long::toString);
    }

    public long readMapping() {
        return k.load("page->mapping of " + name(), m -> m.read(mapping), k::mappingName);
    }

    public long readIndex() {
        return k.load("page->index of " + name(), m -> m.read(index), Long::toString);
    }

    public long readPrivate() {
        return k.load("page_private(" + name() + ")", m -> m.read(privateSlot), Long::toString);
    }

    /** get_page: take a reference. */
    public void get() {
        k.step("get_page(" + name() + ")", null, m -> {
            m.write(refcount, m.read(refcount) + 1);
            return 0;
        });
    }

    private static String cap(int flag) {
        String n = PageFlags.name(flag);
        if (n.equals("lru")) {
            return "LRU";
        }
        if (n.equals("swapcache")) {
            return "SwapCache";
        }
        if (n.equals("swapbacked")) {
            return "SwapBacked";
        }
        return Character.toUpperCase(n.charAt(0)) + n.substring(1);
    }

    @Override
    public String toString() {
        return "page lock of " + name();
    }
}
