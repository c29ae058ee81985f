package dev.mmcheck.live;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc entry points the live harness needs, through java.lang.foreign (x86_64 Linux only).
 * Everything goes through glibc's {@code syscall(2)} wrapper, except {@code clone(2)}, whose glibc
 * wrapper is what lets the child start in a C function (libc's {@code pause}) on a stack of its own
 * without ever returning into the JVM.
 *
 * <p>Calls return the kernel convention: a non-negative result, or {@code -errno}.
 */
@SuppressWarnings("restricted")
final class Libc {
    private Libc() {}

    // x86_64 system call numbers
    static final int SYS_READ = 0, SYS_CLOSE = 3, SYS_MMAP = 9, SYS_MPROTECT = 10, SYS_MUNMAP = 11,
            SYS_MREMAP = 25, SYS_MADVISE = 28, SYS_GETPID = 39, SYS_CLONE = 56, SYS_EXIT_GROUP = 231,
            SYS_WAIT4 = 61, SYS_KILL = 62, SYS_FTRUNCATE = 77, SYS_MLOCK = 149, SYS_MUNLOCK = 150,
            SYS_MLOCKALL = 151, SYS_MUNLOCKALL = 152, SYS_PTRACE = 101, SYS_PRCTL = 157,
            SYS_SCHED_SETAFFINITY = 203, SYS_SCHED_GETAFFINITY = 204, SYS_OPENAT = 257,
            SYS_MLOCK2 = 325, SYS_MOVE_PAGES = 279, SYS_RSEQ = 334, SYS_CLOSE_RANGE = 436;

    static final long PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
    static final long MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20,
            MAP_LOCKED = 0x2000, MAP_POPULATE = 0x8000, MAP_FIXED_NOREPLACE = 0x100000;
    static final long MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4, MLOCK_ONFAULT = 1;
    static final long MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;
    static final long MADV_DONTNEED = 4;
    static final long PR_SET_THP_DISABLE = 41;
    static final long CLONE_PARENT = 0x8000;
    static final int SIGKILL = 9, SIGTRAP = 5, SIGSTOP = 19, SIGCHLD = 17, SIGSEGV = 11, SIGBUS = 7;
    static final int O_RDWR = 2, O_CREAT = 0100, O_CLOEXEC = 02000000;
    static final int AT_FDCWD = -100;
    static final long WALL = 0x40000000L;

    // ptrace requests and options
    static final long PTRACE_SINGLESTEP = 9, PTRACE_GETREGS = 12, PTRACE_SETREGS = 13,
            PTRACE_GETEVENTMSG = 0x4201, PTRACE_GETSIGINFO = 0x4202, PTRACE_SEIZE = 0x4206,
            PTRACE_INTERRUPT = 0x4207, PTRACE_GET_RSEQ_CONFIGURATION = 0x420f;
    static final long PTRACE_O_TRACESYSGOOD = 1, PTRACE_O_TRACEFORK = 2, PTRACE_O_EXITKILL = 0x100000;
    static final int PTRACE_EVENT_FORK = 1, PTRACE_EVENT_STOP = 128;

    /** Indices of struct user_regs_struct (x86_64), 27 unsigned longs. */
    static final int R15 = 0, R14 = 1, R13 = 2, R12 = 3, RBP = 4, RBX = 5, R11 = 6, R10 = 7, R9 = 8,
            R8 = 9, RAX = 10, RCX = 11, RDX = 12, RSI = 13, RDI = 14, ORIG_RAX = 15, RIP = 16, CS = 17,
            EFLAGS = 18, RSP = 19, SS = 20, FS_BASE = 21, NREGS = 27;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle SYSCALL = LINKER.downcallHandle(
            LIBC.find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));

    private static final MethodHandle CLONE = LINKER.downcallHandle(
            LIBC.find("clone").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS),
            Linker.Option.captureCallState("errno"));

    /** libc's pause(): the function a fresh puppet runs until the tracer seizes it. */
    static final MemorySegment PAUSE = LIBC.find("pause").orElseThrow();

    /** Per-thread errno capture buffer (the harness calls from one tracer thread per run). */
    private static final ThreadLocal<MemorySegment> CAPTURE_BUF =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    static long syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
        MemorySegment cap = CAPTURE_BUF.get();
        long r;
        try {
            r = (long) SYSCALL.invokeExact(cap, nr, a1, a2, a3, a4, a5, a6);
        } catch (Throwable t) {
            throw new LiveException("syscall " + nr + " failed to invoke", t);
        }
        if (r == -1) {
            return -(int) ERRNO.get(cap, 0L);
        }
        return r;
    }

    static long syscall(long nr, long a1, long a2, long a3, long a4) {
        return syscall(nr, a1, a2, a3, a4, 0, 0);
    }

    static long syscall(long nr, long a1, long a2, long a3) {
        return syscall(nr, a1, a2, a3, 0, 0, 0);
    }

    static long syscall(long nr, long a1, long a2) {
        return syscall(nr, a1, a2, 0, 0, 0, 0);
    }

    static long syscall(long nr, long a1) {
        return syscall(nr, a1, 0, 0, 0, 0, 0);
    }

    /** glibc clone(fn, stack, flags, arg): the child runs fn(arg) on stack and never enters Java. */
    static long clone(MemorySegment fn, MemorySegment stackTop, int flags) {
        MemorySegment cap = CAPTURE_BUF.get();
        int r;
        try {
            r = (int) CLONE.invokeExact(cap, fn, stackTop, flags, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new LiveException("clone failed to invoke", t);
        }
        return r == -1 ? -(int) ERRNO.get(cap, 0L) : r;
    }

    static long ptrace(long request, int pid, long addr, long data) {
        return syscall(SYS_PTRACE, request, pid, addr, data);
    }

    /** Throws a harness error when a call the harness itself relies on fails. */
    static long check(long r, String what) {
        if (r < 0) {
            throw new LiveException(what + " failed: " + Errno.name((int) -r));
        }
        return r;
    }
}
