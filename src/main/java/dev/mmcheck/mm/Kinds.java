package dev.mmcheck.mm;

/** The violation kinds the mm model reports. Stable names: tests and other tools match on them. */
public final class Kinds {
    private Kinds() {}

    /** A TLB entry, or a user access through one, translates to a page that has been freed. */
    public static final String STALE_TLB = "STALE_TLB";
    /** The page allocator's free-time checks failed ("BUG: Bad page state"); the message gives the reason. */
    public static final String BAD_PAGE = "BAD_PAGE";
    /** A BUG_ON / VM_BUG_ON of the modelled code fired; the message names the site. */
    public static final String BUG_ON = "BUG_ON";
    /** A page-table page was read, locked or written after it was freed. */
    public static final String PGTABLE_UAF = "PGTABLE_UAF";
    /** A vma was read after it was freed (through a stale pointer such as mm->mmap). */
    public static final String VMA_UAF = "VMA_UAF";
    /** The OOM reaper (or process_mrelease) decided to zap a vma whose VM_LOCKED can still change: a munlock of it is in progress (I-REAP-DECISION). */
    public static final String REAP_RACE = "REAP_RACE";
    /** A kernel function returned still holding a lock it took (seen once every CPU has finished). */
    public static final String LOCK_LEAK = "LOCK_LEAK";
    /** Once every CPU has finished, a page is PG_mlocked or unevictable while no VM_LOCKED vma maps it. */
    public static final String MLOCK_STRANDED = "MLOCK_STRANDED";
    /** Once every CPU has finished, the NR_MLOCK counter differs from the number of PG_mlocked pages. */
    public static final String NR_MLOCK_MISMATCH = "NR_MLOCK_MISMATCH";
    /** A blocking acquisition (page lock, rwsem) while a spinlock is held (I-NO-SLEEP-IN-ATOMIC: might_sleep's "scheduling while atomic"). */
    public static final String SLEEP_IN_ATOMIC = "SLEEP_IN_ATOMIC";
    /** A field was changed without the lock that protects it (lockdep_assert_held), outside the model's annotated exceptions. */
    public static final String PROTECTION = "PROTECTION";
    /**
     * The lock classes taken over all explored executions form a cycle of "held A while taking B"
     * (I-LOCK-ORDER): some interleaving can deadlock even if no explored execution did. Reported
     * by the check after exploring, with both acquisition chains.
     */
    public static final String LOCK_ORDER = "LOCK_ORDER";
    /** Every unfinished CPU waits for a lock. */
    public static final String DEADLOCK = dev.mmcheck.engine.Violation.DEADLOCK;
}
