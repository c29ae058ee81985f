package dev.mmcheck.mm.types;

import static dev.mmcheck.mm.types.PageFlags.bit;

import dev.mmcheck.engine.Memory;
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
    /**
     * page->flags, one slot per bit ({@link dev.mmcheck.engine.Layout#allocBits}): the kernel
     * changes its bits with atomic bit operations, which commute when they touch different bits.
     * Read and write it with {@link #flags(Memory, long)}, {@link #set} and {@link #clear}.
     */
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
        this.flags = k.layout.allocBits(n + ".flags", PageFlags.names());
        this.refcount = k.layout.alloc(n + "._refcount");
        this.mapcount = k.layout.alloc(n + ".mapcount");
        this.mapping = k.layout.alloc(n + ".mapping");
        this.index = k.layout.alloc(n + ".index");
        this.privateSlot = k.layout.alloc(n + ".private");
        this.lru = k.layout.alloc(n + ".lru");
        this.allocated = k.layout.alloc(n + ".allocated");
        this.buddy = k.layout.alloc(n + ".buddy");
        this.mlockCount = k.layout.alloc(n + ".mlock_count");
        this.lockIt = new Acquisition(this, toString(), LockClass.PAGE_LOCK, Mode.EXCLUSIVE, false, lockSlot());
        this.tryIt = new Acquisition(this, toString(), LockClass.PAGE_LOCK, Mode.EXCLUSIVE, true, lockSlot());
    }

    /** The bits of {@code mask} of page->flags, read inside a step. */
    public long flags(Memory m, long mask) {
        return m.readBits(flags, mask);
    }

    /** Whether {@code flag} is set, read inside a step. */
    public boolean test(Memory m, int flag) {
        return m.readBits(flags, bit(flag)) != 0;
    }

    /** Sets the bits of {@code mask}, inside a step. */
    public void set(Memory m, long mask) {
        m.writeBits(flags, mask, mask);
    }

    /** Clears the bits of {@code mask}, inside a step. */
    public void clear(Memory m, long mask) {
        m.writeBits(flags, mask, 0);
    }

    /** Sets the bits of {@code mask} to those of {@code value}, inside a step. */
    public void write(Memory m, long mask, long value) {
        m.writeBits(flags, mask, value);
    }

    /** The whole of page->flags, for checks and reports (no step). */
    public long peekFlags(Memory m) {
        return m.peekBits(flags, PageFlags.ALL);
    }

    /** The slot of PG_locked: the engine knows the page lock by it. */
    private int lockSlot() {
        return flags + PageFlags.PG_locked;
    }

    public String name() {
        return "pfn " + pfn;
    }

    public boolean testFlag(int flag) {
        return k.load("Page" + cap(flag) + "(" + name() + ")", m -> test(m, flag) ? 1 : 0, Kernel::yesNo) == 1;
    }

    public void setFlag(int flag) {
        k.step("SetPage" + cap(flag) + "(" + name() + ")", null, m -> {
            set(m, bit(flag));
            return 0;
        });
    }

    public void clearFlag(int flag) {
        k.step("ClearPage" + cap(flag) + "(" + name() + ")", null, m -> {
            clear(m, bit(flag));
            return 0;
        });
    }

    /** Atomic test-and-set; returns the old bit. */
    public boolean testSetFlag(int flag) {
        return k.load("TestSetPage" + cap(flag) + "(" + name() + ")", m -> {
            boolean was = test(m, flag);
            set(m, bit(flag));
            return was ? 1 : 0;
        }, r -> r == 1 ? "was set" : "was clear") == 1;
    }

    /** Atomic test-and-clear; returns the old bit. */
    public boolean testClearFlag(int flag) {
        return k.load("TestClearPage" + cap(flag) + "(" + name() + ")", m -> {
            boolean was = test(m, flag);
            clear(m, bit(flag));
            return was ? 1 : 0;
        }, r -> r == 1 ? "was set" : "was clear") == 1;
    }

    /**
     * lock_page: sleeps until PG_locked is clear, then sets it.
     */
    public void lock() {
        k.lockdep.mightSleep(lockIt);
        k.acquire(lockIt, "lock_page(" + name() + ")", m -> !test(m, PageFlags.PG_locked), m -> {
            set(m, bit(PageFlags.PG_locked));
            m.acquired(lockSlot(), false);
            return 0;
        }, null);
        k.lockdep.acquired(lockIt);
    }

    public boolean trylock() {
        boolean taken = k.acquire(tryIt, "trylock_page(" + name() + ")", null, m -> {
            boolean was = test(m, PageFlags.PG_locked);
            set(m, bit(PageFlags.PG_locked));
            if (!was) {
                m.acquired(lockSlot(), false);
            }
            return was ? 1 : 0;
        }, r -> r == 0 ? "locked" : "busy") == 0;
        if (taken) {
            k.lockdep.acquired(tryIt);
        }
        return taken;
    }

    public void unlock() {
        boolean mine = k.held().contains(this); // unlock_page of a page another CPU locked (a bug) releases nothing of ours
        k.step("unlock_page(" + name() + ")", null, m -> {
            clear(m, bit(PageFlags.PG_locked));
            if (mine) {
                m.released(lockSlot());
            }
            return 0;
        });
        k.lockdep.released(this);
    }

    public long readMapcount() {
        return k.load("page_mapcount(" + name() + ")", m -> m.read(mapcount), Long::toString);
    }

    /** page_mapped: whether any pte maps the page (the count itself is not learned). */
    public boolean mapped() {
        return k.load("page_mapped(" + name() + ")", m -> m.read(mapcount) != 0 ? 1 : 0, r -> r == 1 ? "yes" : "no") == 1;
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
            m.add(refcount, 1);
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
