package dev.mmcheck.live;

import static dev.mmcheck.live.Libc.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates and drives "puppet" processes with ptrace. A puppet is a clone of the JVM that runs libc's
 * {@code pause()} (never Java) until seized; the tracer then strips its whole address space except
 * the vDSO and makes it execute exactly one instruction at a time, chosen from the vDSO's text:
 * {@code syscall} for every system call, a one-byte {@code mov} to or from memory for each page access.
 * A puppet therefore runs no code of its own, cannot crash the run (a faulting access is a
 * signal-delivery-stop the tracer reads and discards), and has nothing mapped but what the program
 * maps, so VmLck and mlockall() see only the program's regions (the vDSO is a special mapping that
 * mlock skips).
 *
 * <p>ptrace requests must come from the thread that attached, so one Tracer is used from one thread.
 */
final class Tracer implements AutoCloseable {
    /** Highest user address + 1 with 4-level page tables (TASK_SIZE_MAX on x86_64). */
    static final long TASK_SIZE = 0x7ffffffff000L;

    /** How the instruction at {@code address} addresses memory: {@code [reg + disp]}. */
    record MemInsn(long address, int baseReg, long disp) {}

    /** The instructions a puppet is made to execute, found in the vDSO (mapped at the same place in every clone). */
    record Vdso(long start, long end, long syscall, MemInsn store, MemInsn load) {}

    /** A page access that did not complete: the signal the CPU fault raised, its si_code and address. */
    record AccessFault(int signal, int code, long address) {}

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment regs = arena.allocate(NREGS * 8L, 8);
    private final MemorySegment status = arena.allocate(8, 8);
    private final MemorySegment buf = arena.allocate(256, 8);
    private final Vdso vdso;
    private long[] home;
    private final List<Integer> pids = new ArrayList<>();
    private int lastForked;

    Tracer() {
        try {
            this.vdso = VdsoHolder.VDSO;
        } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
            throw new LiveException("cannot find the instructions to drive a puppet in the vDSO: " + e, e);
        }
    }

    /** The vDSO is mapped once per process image; scan it once. */
    private static final class VdsoHolder {
        static final Vdso VDSO = findVdso();
    }

    Vdso vdso() {
        return vdso;
    }

    /**
     * Starts a puppet: clone(2) of this process running pause() on a private stack, seized and stopped.
     * {@code keepFds} are the descriptors it will keep (all others are closed).
     */
    int spawn(int cpu, int[] keepFds) {
        MemorySegment stack = arena.allocate(64 * 1024, 16);
        MemorySegment top = stack.asSlice(stack.byteSize() - 64);
        int pid = (int) check(Libc.clone(PAUSE, top, SIGCHLD), "clone");
        pids.add(pid);
        check(ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_EXITKILL), "PTRACE_SEIZE");
        check(ptrace(PTRACE_INTERRUPT, pid, 0, 0), "PTRACE_INTERRUPT");
        waitInitialStop(pid);
        getRegs(pid);
        home = new long[NREGS];
        for (int i = 0; i < NREGS; i++) {
            home[i] = regs.getAtIndex(JAVA_LONG, i);
        }
        home[EFLAGS] &= ~0x100L; // never start with TF
        if (cpu >= 0) {
            MemorySegment mask = buf.asSlice(0, 128);
            mask.fill((byte) 0);
            mask.set(JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
            check(syscall(SYS_SCHED_SETAFFINITY, pid, 128, mask.address()), "sched_setaffinity");
        }
        unregisterRseq(pid);
        closeFdsExcept(pid, keepFds);
        strip(pid);
        return pid;
    }

    private void waitInitialStop(int pid) {
        while (true) {
            int st = waitFor(pid);
            if (!stopped(st)) {
                throw new LiveException("puppet " + pid + " ended before it could be seized: status " + st);
            }
            if ((st >>> 16) == PTRACE_EVENT_STOP) {
                return;
            }
            // a signal-delivery-stop before the interrupt: suppress it and wait for the interrupt stop
            check(ptrace(PTRACE_INTERRUPT, pid, 0, 0), "PTRACE_INTERRUPT");
            check(ptrace(7 /* PTRACE_CONT */, pid, 0, 0), "PTRACE_CONT");
        }
    }

    /** The new puppet a fork injected into a puppet produced; it is stopped and ready to be driven. */
    int adoptForked() {
        int pid = lastForked;
        if (pid <= 0) {
            throw new LiveException("no forked child reported");
        }
        lastForked = 0;
        pids.add(pid);
        while (true) {
            int st = waitFor(pid);
            if (!stopped(st)) {
                throw new LiveException("forked puppet " + pid + " ended before its first stop: status " + st);
            }
            if ((st >>> 16) == PTRACE_EVENT_STOP) {
                return pid;
            }
        }
    }

    private void unregisterRseq(int pid) {
        MemorySegment conf = buf.asSlice(0, 32);
        conf.fill((byte) 0);
        long r = ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, 24, conf.address());
        if (r < 0) {
            return; // kernel without rseq configuration query: nothing registered that we can see
        }
        long ptr = conf.get(JAVA_LONG, 0);
        int size = conf.get(JAVA_INT, 8);
        int sig = conf.get(JAVA_INT, 12);
        if (ptr != 0) {
            check(inject(pid, SYS_RSEQ, ptr, size, 1 /* RSEQ_FLAG_UNREGISTER */, sig & 0xffffffffL), "rseq unregister");
        }
    }

    private void closeFdsExcept(int pid, int[] keep) {
        int[] k = keep.clone();
        java.util.Arrays.sort(k);
        long from = 0;
        for (int fd : k) {
            if (fd > from) {
                check(inject(pid, SYS_CLOSE_RANGE, from, fd - 1, 0), "close_range");
            }
            from = fd + 1L;
        }
        check(inject(pid, SYS_CLOSE_RANGE, from, 0xffffffffL, 0), "close_range");
    }

    /** Unmaps everything but the vDSO and vvar pages, so the puppet holds only what the program maps. */
    private void strip(int pid) {
        long from = 0;
        for (long[] keep : specialRanges(pid)) {
            if (keep[0] > from) {
                check(inject(pid, SYS_MUNMAP, from, keep[0] - from), "munmap (strip)");
            }
            from = Math.max(from, keep[1]);
        }
        if (from < TASK_SIZE) {
            check(inject(pid, SYS_MUNMAP, from, TASK_SIZE - from), "munmap (strip)");
        }
        List<String> left = new ArrayList<>();
        for (String line : readLines(Path.of("/proc/" + pid + "/maps"))) {
            if (!line.contains("[v")) {
                left.add(line);
            }
        }
        if (!left.isEmpty()) {
            throw new LiveException("puppet still maps " + left);
        }
    }

    static List<long[]> specialRanges(int pid) {
        List<long[]> out = new ArrayList<>();
        for (String line : readLines(Path.of("/proc/" + pid + "/maps"))) {
            if (line.endsWith("[vdso]") || line.endsWith("[vvar]") || line.endsWith("[vvar_vclock]")) {
                String range = line.substring(0, line.indexOf(' '));
                int dash = range.indexOf('-');
                out.add(new long[] {Long.parseUnsignedLong(range.substring(0, dash), 16),
                        Long.parseUnsignedLong(range.substring(dash + 1), 16)});
            }
        }
        out.sort((a, b) -> Long.compareUnsigned(a[0], b[0]));
        return out;
    }

    /**
     * Makes the puppet execute one system call and returns the kernel's raw result (-errno on
     * failure). For exit_group the result is 0 once the process is gone.
     */
    long inject(int pid, long nr, long... args) {
        long[] r = home.clone();
        r[RIP] = vdso.syscall;
        r[RAX] = nr;
        r[ORIG_RAX] = -1;
        int[] argRegs = {RDI, RSI, RDX, R10, R8, R9};
        for (int i = 0; i < args.length; i++) {
            r[argRegs[i]] = args[i];
        }
        setRegs(pid, r);
        while (true) {
            check(ptrace(PTRACE_SINGLESTEP, pid, 0, 0), "PTRACE_SINGLESTEP");
            int st = waitForOrGone(pid);
            if (st == Integer.MIN_VALUE || !stopped(st)) {
                pids.remove((Integer) pid);
                if (nr == SYS_EXIT_GROUP) {
                    return 0;
                }
                throw new LiveException("puppet " + pid + " died during syscall " + nr + ": status 0x" + Integer.toHexString(st));
            }
            int event = st >>> 16;
            int sig = (st >> 8) & 0xff;
            if (event == PTRACE_EVENT_FORK) {
                check(ptrace(PTRACE_GETEVENTMSG, pid, 0, buf.address()), "PTRACE_GETEVENTMSG");
                lastForked = (int) buf.get(JAVA_LONG, 0);
                continue;
            }
            if (event != 0 || sig != SIGTRAP) {
                continue; // some other stop: suppress it and go on stepping
            }
            getRegs(pid);
            long rip = regs.getAtIndex(JAVA_LONG, RIP);
            if (rip == vdso.syscall + 2) {
                return regs.getAtIndex(JAVA_LONG, RAX);
            }
            if (rip != vdso.syscall) {
                throw new LiveException("puppet " + pid + " stepped to an unexpected place 0x" + Long.toHexString(rip));
            }
            // a trap reported before the instruction ran (e.g. on the way out of fork): step again
        }
    }

    /** Makes the puppet read or write one byte at {@code address}; null when it completed. */
    AccessFault access(int pid, long address, boolean write) {
        MemInsn insn = write ? vdso.store : vdso.load;
        long[] r = home.clone();
        r[RIP] = insn.address;
        r[ORIG_RAX] = -1;
        r[insn.baseReg] = address - insn.disp;
        setRegs(pid, r);
        while (true) {
            check(ptrace(PTRACE_SINGLESTEP, pid, 0, 0), "PTRACE_SINGLESTEP");
            int st = waitFor(pid);
            if (!stopped(st)) {
                pids.remove((Integer) pid);
                throw new LiveException("puppet " + pid + " died during a page access: status 0x" + Integer.toHexString(st));
            }
            int event = st >>> 16;
            int sig = (st >> 8) & 0xff;
            if (event != 0) {
                continue;
            }
            if (sig == SIGTRAP) {
                getRegs(pid);
                if (regs.getAtIndex(JAVA_LONG, RIP) != insn.address) {
                    return null;
                }
                continue;
            }
            if (sig == SIGSEGV || sig == SIGBUS) {
                MemorySegment si = buf.asSlice(0, 128);
                check(ptrace(PTRACE_GETSIGINFO, pid, 0, si.address()), "PTRACE_GETSIGINFO");
                // the signal is discarded: the next resume passes signal 0
                return new AccessFault(si.get(JAVA_INT, 0), si.get(JAVA_INT, 8), si.get(JAVA_LONG, 16));
            }
            // any other signal: suppress and retry
        }
    }

    /** Kills a puppet (if still alive) and reaps it. */
    void kill(int pid) {
        if (!pids.remove((Integer) pid)) {
            return;
        }
        syscall(SYS_KILL, pid, SIGKILL);
        while (true) {
            int st = waitForOrGone(pid);
            if (st == Integer.MIN_VALUE || !stopped(st)) {
                return;
            }
        }
    }

    /** Records that a puppet exited on its own and was reaped by {@link #inject}. */
    boolean alive(int pid) {
        return pids.contains(pid);
    }

    @Override
    public void close() {
        for (Integer pid : List.copyOf(pids)) {
            kill(pid);
        }
        arena.close();
    }

    private void setRegs(int pid, long[] r) {
        for (int i = 0; i < NREGS; i++) {
            regs.setAtIndex(JAVA_LONG, i, r[i]);
        }
        check(ptrace(PTRACE_SETREGS, pid, 0, regs.address()), "PTRACE_SETREGS");
    }

    private void getRegs(int pid) {
        check(ptrace(PTRACE_GETREGS, pid, 0, regs.address()), "PTRACE_GETREGS");
    }

    private int waitFor(int pid) {
        int st = waitForOrGone(pid);
        if (st == Integer.MIN_VALUE) {
            throw new LiveException("puppet " + pid + " vanished (wait4: ECHILD)");
        }
        return st;
    }

    private int waitForOrGone(int pid) {
        while (true) {
            long r = syscall(SYS_WAIT4, pid, status.address(), WALL, 0);
            if (r == pid) {
                return status.get(JAVA_INT, 0);
            }
            if (r == -4 /* EINTR */) {
                continue;
            }
            if (r == -10 /* ECHILD */) {
                return Integer.MIN_VALUE;
            }
            throw new LiveException("wait4(" + pid + ") failed: " + (r < 0 ? Errno.name((int) -r) : r));
        }
    }

    private static boolean stopped(int st) {
        return (st & 0xff) == 0x7f;
    }

    // ---------------------------------------------------------------- the vDSO's instructions

    @SuppressWarnings("restricted")
    private static Vdso findVdso() {
        long start = 0, end = 0;
        for (String line : readLines(Path.of("/proc/self/maps"))) {
            if (line.endsWith("[vdso]")) {
                String range = line.substring(0, line.indexOf(' '));
                int dash = range.indexOf('-');
                start = Long.parseUnsignedLong(range.substring(0, dash), 16);
                end = Long.parseUnsignedLong(range.substring(dash + 1), 16);
            }
        }
        if (start == 0) {
            throw new LiveException("no [vdso] in /proc/self/maps");
        }
        byte[] text = MemorySegment.ofAddress(start).reinterpret(end - start).toArray(JAVA_BYTE);
        long sys = -1;
        MemInsn store = null, load = null;
        for (int i = 0; i + 2 < text.length; i++) {
            int b = text[i] & 0xff;
            if (sys < 0 && b == 0x0f && (text[i + 1] & 0xff) == 0x05) {
                sys = start + i;
            }
            if (store == null && b == 0x88) {
                store = memOperand(text, i, start);
            }
            if (load == null && b == 0x8a) {
                load = memOperand(text, i, start);
            }
        }
        if (sys < 0 || store == null || load == null) {
            throw new LiveException("vDSO has no usable syscall / mov instruction bytes");
        }
        return new Vdso(start, end, sys, store, load);
    }

    /** Decodes the ModRM byte after a one-byte mov opcode: only [reg] and [reg+disp8] forms, no SIB, no RIP-relative. */
    private static MemInsn memOperand(byte[] text, int i, long start) {
        int modrm = text[i + 1] & 0xff;
        int mod = modrm >> 6, rm = modrm & 7;
        int[] regIndex = {RAX, RCX, RDX, RBX, -1, RBP, RSI, RDI};
        if (rm == 4 || (mod == 0 && rm == 5) || mod >= 2) {
            return null;
        }
        long disp = mod == 1 ? text[i + 2] : 0;
        return new MemInsn(start + i, regIndex[rm], disp);
    }

    static List<String> readLines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException e) {
            throw new LiveException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
