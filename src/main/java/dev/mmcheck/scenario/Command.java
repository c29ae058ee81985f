package dev.mmcheck.scenario;

/** One statement of the syscall language that scenarios use for set-up and for each CPU. */
public sealed interface Command {
    Pos pos();

    /** PROT_* bits. */
    int PROT_READ = 1, PROT_WRITE = 2;
    /** MAP_* bits beyond private/shared and anonymous/file, as the scenario language names them. */
    int MAP_FIXED = 1, MAP_LOCKED = 2, MAP_POPULATE = 4;
    /** mlock2 flags. */
    int MLOCK_ONFAULT = 1;
    /** mlockall flags. */
    int MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4;
    /** mremap flags. */
    int MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;
    /** madvise advice. */
    int MADV_DONTNEED = 4;

    /**
     * mmap(addr, len, prot, MAP_PRIVATE or MAP_SHARED, MAP_ANONYMOUS or a file at byte offset
     * {@code pgoff} pages, plus {@code flags}: MAP_FIXED, MAP_LOCKED, MAP_POPULATE). Without
     * MAP_FIXED the address is a hint, which the kernel takes when the range is free.
     */
    record Mmap(Pos pos, long addr, long len, int prot, boolean shared, String file, long pgoff, int flags) implements Command {
        public boolean writable() {
            return (prot & PROT_WRITE) != 0;
        }
    }

    /** mlock(addr, len) or munlock(addr, len). */
    record Mlock(Pos pos, long addr, long len, boolean on) implements Command {}

    /** mprotect(addr, len, prot). */
    record Mprotect(Pos pos, long addr, long len, int prot) implements Command {
        public boolean writable() {
            return (prot & PROT_WRITE) != 0;
        }
    }

    /** mlock2(addr, len, flags): MLOCK_ONFAULT locks only the pages faulted in later (and those present). */
    record Mlock2(Pos pos, long addr, long len, int flags) implements Command {}

    /** mlockall(flags): MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT. */
    record Mlockall(Pos pos, int flags) implements Command {}

    /** munlockall(). */
    record Munlockall(Pos pos) implements Command {}

    /** madvise(addr, len, advice) (MADV_DONTNEED). */
    record Madvise(Pos pos, long addr, long len, int advice) implements Command {}

    /** fork(): a new process {@code child} whose address space is a copy-on-write copy of this one's. */
    record Fork(Pos pos, String child) implements Command {}

    /** ftruncate of a file to size bytes (by any process: the file is open in all of them). */
    record Truncate(Pos pos, String file, long size) implements Command {}

    /** The process's last thread exits: exit_mm, mmput, exit_mmap. */
    record Exit(Pos pos) implements Command {}

    /** The OOM killer picks the process: mark_oom_victim. */
    record OomVictim(Pos pos) implements Command {}

    /** The OOM reaper works on the process's mm: oom_reap_task. */
    record OomReap(Pos pos) implements Command {}

    /** process_mrelease(pidfd of the process). */
    record ProcessMrelease(Pos pos) implements Command {}

    /** An earlier reclaim pass found the page at addr referenced and cleared its young bits (page_referenced). */
    record Age(Pos pos, long addr) implements Command {}

    /** remap_file_pages(addr, size, 0, pgoff, 0) (kernels up to 3.19). */
    record RemapFilePages(Pos pos, long addr, long size, long pgoff) implements Command {}

    /** munmap(addr, len). */
    record Munmap(Pos pos, long addr, long len) implements Command {}

    /** A user load or store at addr. */
    record Access(Pos pos, long addr, boolean write) implements Command {}

    /** mremap(addr, oldLen, newLen, flags, newAddr). */
    record Mremap(Pos pos, long addr, long oldLen, long newLen, int flags, long newAddr) implements Command {}

    /** Compaction migrates the page mapped at addr (when the set-up is done) to a new page. */
    record Migrate(Pos pos, long addr) implements Command {}

    /** Reclaim the page mapped at addr when the set-up is done (isolate it, then shrink_page_list). */
    record Reclaim(Pos pos, long addr) implements Command {}
}
