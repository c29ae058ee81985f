package dev.mmcheck.mm.lockdep;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A lock class, as lockdep has them: every lock of one kind (all pte locks, all anon_vma rwsems)
 * is one node of the lock graph. {@code rank} places the class in the documented order (outer
 * first: a lower rank must be taken before a higher one); {@link #UNRANKED} for a class the
 * documentation does not place. {@code sleeps}: acquiring it may sleep (rwsem, page lock), so it
 * must not be waited for while a spinlock is held.
 */
public final class LockClass {
    public static final int UNRANKED = Integer.MAX_VALUE;
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final Map<String, LockClass> BY_NAME = new ConcurrentHashMap<>();

    public final int id;
    public final String name;
    public final boolean sleeps;
    public final int rank;
    /** Where the rank comes from, for the output of mmcheck locks. */
    public final String documented;

    // The order at the top of mm/rmap.c (reference section 2.1), outer first, with the orders the
    // reference derives from the code for the page-table locks (pud lock = page_table_lock, then
    // pmd lock, then pte lock).
    public static final LockClass MMAP_LOCK = new LockClass("mmap_lock", true, 10,
            "mm/rmap.c: mm->mmap_lock (mmap_sem before 5.8), outermost of mm's locks");
    public static final LockClass PAGE_LOCK = new LockClass("page lock", true, 20,
            "mm/rmap.c: page->flags PG_locked (lock_page), under mmap_lock");
    public static final LockClass I_MMAP_RWSEM = new LockClass("i_mmap_rwsem", true, 30,
            "mm/rmap.c: mapping->i_mmap_rwsem (i_mmap_mutex before 3.19), under the page lock");
    public static final LockClass ANON_VMA = new LockClass("anon_vma->rwsem", true, 40,
            "mm/rmap.c: anon_vma->rwsem, under i_mmap_rwsem");
    public static final LockClass PAGE_TABLE_LOCK = new LockClass("page_table_lock", false, 50,
            "mm/rmap.c: mm->page_table_lock or pte lock, under anon_vma->rwsem; it is also the pud lock, taken before a pmd lock");
    public static final LockClass PMD_LOCK = new LockClass("pmd lock", false, 51,
            "code order (reference 2.1): split pmd lock before the pte lock, after the pud lock");
    public static final LockClass PTE_LOCK = new LockClass("pte lock", false, 52,
            "mm/rmap.c: mm->page_table_lock or pte lock, under anon_vma->rwsem");
    public static final LockClass LRU_LOCK = new LockClass("lru_lock", false, 60,
            "mm/rmap.c (3.16, 4.4): zone->lru_lock under the pte lock (isolate_lru_page, mark_page_accessed)");
    public static final LockClass TASK_LOCK = new LockClass("task_lock", false, UNRANKED,
            "not in mm/rmap.c's order (kernel/exit.c takes it under mmap_lock in exit_mm)");

    private static final Map<String, LockClass> KNOWN = Map.of(MMAP_LOCK.name, MMAP_LOCK, PAGE_LOCK.name, PAGE_LOCK,
            I_MMAP_RWSEM.name, I_MMAP_RWSEM, ANON_VMA.name, ANON_VMA, PAGE_TABLE_LOCK.name, PAGE_TABLE_LOCK,
            PMD_LOCK.name, PMD_LOCK, PTE_LOCK.name, PTE_LOCK, LRU_LOCK.name, LRU_LOCK, TASK_LOCK.name, TASK_LOCK);

    private LockClass(String name, boolean sleeps, int rank, String documented) {
        this.id = IDS.getAndIncrement();
        this.name = name;
        this.sleeps = sleeps;
        this.rank = rank;
        this.documented = documented;
    }

    /** A class the model has no entry for: named after the lock, outside the documented order. */
    public static LockClass other(String name, boolean sleeps) {
        LockClass known = KNOWN.get(name);
        return known != null ? known : BY_NAME.computeIfAbsent(name, n -> new LockClass(n, sleeps, UNRANKED, "not in mm/rmap.c's order"));
    }

    /** The class of a spinlock the model names this way (a lock object may also pass its class). */
    public static LockClass ofSpinLock(String lockName) {
        if (lockName.equals("lru_lock")) {
            return LRU_LOCK;
        }
        if (lockName.endsWith(".page_table_lock")) {
            return PAGE_TABLE_LOCK;
        }
        if (lockName.startsWith("task_lock")) {
            return TASK_LOCK;
        }
        return other(lockName, false);
    }

    /** The class of an rw_semaphore the model names this way. */
    public static LockClass ofRwsem(String lockName) {
        if (lockName.endsWith(".mmap_lock")) {
            return MMAP_LOCK;
        }
        if (lockName.endsWith(".i_mmap_rwsem")) {
            return I_MMAP_RWSEM;
        }
        if (lockName.startsWith("anon_vma") && lockName.endsWith(".rwsem")) {
            return ANON_VMA;
        }
        return other(lockName, true);
    }

    public boolean ranked() {
        return rank != UNRANKED;
    }

    @Override
    public String toString() {
        return name;
    }
}
