package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;

/** mm_struct: an address space. Its vmas form a list sorted by address, headed by {@code mmap}. */
public final class MmStruct {
    /** mm->flags bits (include/linux/sched/coredump.h, 5.17). */
    public static final int MMF_OOM_SKIP = 21;
    public static final int MMF_UNSTABLE = 22;
    public static final int MMF_OOM_VICTIM = 25;
    public static final int MMF_OOM_REAP_QUEUED = 26;

    public final int id;
    public final RwSemaphore mmapLock;
    public final SpinLock pageTableLock;
    public final PageTable pgd;
    /** First vma's id + 1, or 0. */
    public final int mmap;
    public final int mapCount;
    /** mm_users: users of the address space; exit_mmap runs when it drops to zero. */
    public final int users;
    /** mm_count: references to the struct itself (mmgrab). */
    public final int count;
    public final int flags;
    public final int lockedVm;
    /** mm->def_flags: VM_LOCKED (| VM_LOCKONFAULT) after mlockall(MCL_FUTURE), given to every new vma. */
    public final int defFlags;
    /** The owning task's ->mm still points here (cleared by exit_mm under task_lock). */
    public final int taskMm;
    /** task_lock(p) of the owning task (its alloc_lock). */
    public final SpinLock taskLock;

    public MmStruct(Kernel k, int id, PageTable pgd) {
        this.id = id;
        String n = "mm" + id;
        this.mmapLock = new RwSemaphore(k, n + ".mmap_lock");
        this.pageTableLock = new SpinLock(k, n + ".page_table_lock");
        this.pgd = pgd;
        this.mmap = k.layout.alloc(n + ".mmap");
        this.mapCount = k.layout.alloc(n + ".map_count");
        this.users = k.layout.alloc(n + ".mm_users");
        this.count = k.layout.alloc(n + ".mm_count");
        this.flags = k.layout.alloc(n + ".flags");
        this.lockedVm = k.layout.alloc(n + ".locked_vm");
        this.defFlags = k.layout.alloc(n + ".def_flags");
        this.taskMm = k.layout.alloc(n + ".owner->mm");
        this.taskLock = new SpinLock(k, "task_lock(owner of " + n + ")");
    }

    public String name() {
        return "mm" + id;
    }

    @Override
    public String toString() {
        return name();
    }
}
