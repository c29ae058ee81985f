package dev.mmcheck.scenario;

/** One statement of the syscall language that scenarios use for set-up and for each CPU. */
public sealed interface Command {
    Pos pos();

    /** mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED). */
    record Mmap(Pos pos, long addr, long len, boolean writable) implements Command {}

    /** munmap(addr, len). */
    record Munmap(Pos pos, long addr, long len) implements Command {}

    /** A user load or store at addr. */
    record Access(Pos pos, long addr, boolean write) implements Command {}

    /** mremap(addr, oldLen, newLen, flags, newAddr). */
    record Mremap(Pos pos, long addr, long oldLen, long newLen, int flags, long newAddr) implements Command {}

    /** Reclaim the page mapped at addr when the set-up is done (isolate it, then shrink_page_list). */
    record Reclaim(Pos pos, long addr) implements Command {}
}
