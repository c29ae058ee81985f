package dev.mmcheck.live;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a {@link LiveProgram} on the live kernel.
 *
 * <p>Each run forks a fresh child ("puppet") of this JVM with glibc's clone(): the child runs libc's
 * {@code pause()}, never Java, and is immediately seized with ptrace, pinned to one CPU, stripped of
 * every mapping but the vDSO, and switched to small pages (prctl PR_SET_THP_DISABLE). Every program
 * step is then one instruction the tracer makes it execute: a {@code syscall} for system calls
 * (mmap, mlock, fork, exit, ...) and a one-byte {@code mov} for page reads and writes, so accesses
 * are genuine user-mode faults and one that cannot be resolved is reported as a SIGSEGV/SIGBUS fault
 * of that step, not a crash. A fork step is a clone(CLONE_PARENT) injected into the puppet, whose
 * child is traced the same way. Before each observation the CPU's LRU and mlock batches are drained
 * by an munmap the puppet performs on that CPU; the oracles are then read twice and must agree.
 *
 * <p>Requirements: Linux x86_64, a tracer allowed to ptrace its own children, and root (or
 * CAP_SYS_ADMIN) to read PFNs from pagemap and /proc/kpageflags; see {@link #unavailableReason()}.
 * Uses restricted java.lang.foreign methods: run the JVM with {@code --enable-native-access=ALL-UNNAMED}
 * to silence the warning.
 */
public final class LiveRunner {
    private LiveRunner() {}

    /** Runs with {@link LiveOptions#DEFAULT}. */
    public static LiveResult run(LiveProgram program) {
        return run(program, LiveOptions.DEFAULT);
    }

    /**
     * Runs the program in fresh processes and returns what the kernel did. The work happens on a
     * dedicated platform thread (ptrace requests must all come from the attaching thread).
     *
     * @throws LiveException if the harness itself fails or the run exceeds the timeout
     */
    public static LiveResult run(LiveProgram program, LiveOptions options) {
        Optional<String> why = unavailableReason();
        if (why.isPresent()) {
            throw new LiveException("live runs are unavailable here: " + why.get());
        }
        AtomicReference<Session> session = new AtomicReference<>();
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("mmcheck-live-tracer").daemon().unstarted(() -> {
            try (Session s = new Session(program, options)) {
                session.set(s);
                outcome.set(s.run());
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        t.start();
        try {
            t.join(options.timeout());
            if (t.isAlive()) {
                Session s = session.get();
                if (s != null) {
                    for (int pid : List.copyOf(s.livePids)) {
                        Libc.syscall(Libc.SYS_KILL, pid, Libc.SIGKILL);
                    }
                }
                t.join(5000);
                throw new LiveException("live run timed out after " + options.timeout());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LiveException("interrupted", e);
        }
        Object o = outcome.get();
        if (o instanceof LiveResult r) {
            return r;
        }
        if (o instanceof LiveException e) {
            throw new LiveException(e.getMessage(), e);
        }
        if (o instanceof IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        throw new LiveException("live run failed: " + o, o instanceof Throwable th ? th : null);
    }

    /**
     * Why live runs cannot work on this machine (not Linux x86_64, /proc/kpageflags unreadable,
     * pagemap hiding PFNs because we are not root, no tmpfs at /dev/shm), or empty when they can.
     */
    public static Optional<String> unavailableReason() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.equals("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return Optional.of("needs Linux on x86_64, this is " + os + "/" + arch);
        }
        if (!Files.isDirectory(Path.of("/dev/shm"))) {
            return Optional.of("no /dev/shm tmpfs for file-backed regions");
        }
        try (FileChannel ch = FileChannel.open(Path.of("/proc/kpageflags"), StandardOpenOption.READ)) {
            ch.read(ByteBuffer.allocate(8), 0);
        } catch (IOException e) {
            return Optional.of("/proc/kpageflags is not readable (" + e.getClass().getSimpleName()
                    + "): reading page flags needs root (CAP_SYS_ADMIN)");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment probe = a.allocate(8192, 4096);
            probe.set(JAVA_BYTE, 0, (byte) 1); // make sure the page is present
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
            try (FileChannel ch = FileChannel.open(Path.of("/proc/self/pagemap"), StandardOpenOption.READ)) {
                ch.read(b, probe.address() / LiveProgram.PAGE * 8);
            }
            long e = b.getLong(0);
            if ((e & ProcFs.PM_PRESENT) == 0 || (e & ProcFs.PM_PFN_MASK) == 0) {
                return Optional.of("/proc/self/pagemap shows no PFNs (needs CAP_SYS_ADMIN)");
            }
        } catch (IOException e) {
            return Optional.of("/proc/self/pagemap is not readable (" + e.getClass().getSimpleName() + ")");
        }
        return Optional.empty();
    }

    /** The highest-numbered CPU this JVM may run on (from /proc/self/status Cpus_allowed_list). */
    static int highestAllowedCpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    String list = line.substring(line.indexOf(':') + 1).trim();
                    String last = list.substring(list.lastIndexOf(',') + 1);
                    return Integer.parseInt(last.substring(last.lastIndexOf('-') + 1));
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return 0;
    }
}
