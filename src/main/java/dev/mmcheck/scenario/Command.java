package dev.mmcheck.scenario;

/** One statement of the syscall language that scenarios use for set-up and for each CPU. */
public sealed interface Command {
    Pos pos();

    /** mmap(addr, len, prot, MAP_FIXED | MAP_PRIVATE or MAP_SHARED, and MAP_ANONYMOUS or a file at pgoff). */
    record Mmap(Pos pos, long addr, long len, boolean writable, boolean shared, String file, long pgoff) implements Command {}

    /** mlock(addr, len) or munlock(addr, len). */
    record Mlock(Pos pos, long addr, long len, boolean on) implements Command {}

    /** mprotect(addr, len, prot). */
    record Mprotect(Pos pos, long addr, long len, boolean writable) implements Command {}

    /** ftruncate of a file to size bytes. */
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
