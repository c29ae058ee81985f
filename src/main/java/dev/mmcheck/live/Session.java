package dev.mmcheck.live;

import static dev.mmcheck.live.Libc.*;
import static dev.mmcheck.live.LiveProgram.PAGE;

import dev.mmcheck.live.LiveOp.MapFlag;
import dev.mmcheck.live.LiveOp.MlockallFlag;
import dev.mmcheck.live.LiveOp.MremapFlag;
import dev.mmcheck.live.LiveResult.Fault;
import dev.mmcheck.live.LiveResult.Observation;
import dev.mmcheck.live.LiveResult.PageKind;
import dev.mmcheck.live.LiveResult.PageView;
import dev.mmcheck.live.LiveResult.ProcessView;
import dev.mmcheck.live.LiveResult.RegionView;
import dev.mmcheck.live.LiveResult.StepResult;
import dev.mmcheck.live.LiveResult.VmaView;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/** One run of a program: owns the tracer, the puppets, the tmpfs files. Used from one thread. */
final class Session implements AutoCloseable {
    private static final long GIB = 1L << 30;

    /** A program process: its puppet and its named regions (start address, length), in definition order. */
    private static final class Proc {
        final int index;
        final int pid;
        boolean alive = true;
        final LinkedHashMap<String, long[]> regions;

        Proc(int index, int pid, LinkedHashMap<String, long[]> regions) {
            this.index = index;
            this.pid = pid;
            this.regions = regions;
        }
    }

    private final LiveProgram program;
    private final LiveOptions options;
    private final int cpu;
    private final Tracer tracer;
    private final Path dir;
    private final Map<String, Integer> fds = new LinkedHashMap<>();
    private final List<Proc> procs = new ArrayList<>();
    /** PIDs of live puppets, readable from a watchdog thread. */
    final List<Integer> livePids = new CopyOnWriteArrayList<>();
    private long base;
    private final Arena arena = Arena.ofConfined();
    /** A one-node list (node 0) for move_pages. */
    private final MemorySegment nodeList = arena.allocate(8, 8);
    private final List<StepResult> steps = new ArrayList<>();
    private final List<Observation> observations = new ArrayList<>();

    Session(LiveProgram program, LiveOptions options) {
        this.program = program;
        this.options = options;
        this.cpu = options.cpu() >= 0 ? options.cpu() : LiveRunner.highestAllowedCpu();
        this.tracer = new Tracer();
        try {
            this.dir = Files.createTempDirectory(Path.of("/dev/shm"), "mmcheck-live-");
        } catch (IOException e) {
            tracer.close();
            arena.close();
            throw new LiveException("cannot create a tmpfs directory under /dev/shm: " + e.getMessage(), e);
        }
    }

    LiveResult run() {
        setUp();
        List<LiveOp> ops = program.ops();
        for (int i = 0; i < ops.size(); i++) {
            LiveOp op = ops.get(i);
            if (op instanceof LiveOp.Observe o) {
                observations.add(observe(i, o.label()));
                steps.add(new StepResult(i, -1, op.describe(), 0, null, null));
            } else {
                steps.add(perform(i, op));
            }
        }
        return new LiveResult(ProcFs.kernelRelease(), cpu, steps, observations);
    }

    private void setUp() {
        int pid;
        try (Arena a = Arena.ofConfined()) {
            for (Map.Entry<String, Long> f : program.files().entrySet()) {
                MemorySegment path = a.allocateFrom(dir.resolve(f.getKey()).toString());
                int fd = (int) check(syscall(SYS_OPENAT, AT_FDCWD, path.address(), O_RDWR | O_CREAT | O_CLOEXEC, 0600), "open " + f.getKey());
                fds.put(f.getKey(), fd);
                check(syscall(SYS_FTRUNCATE, fd, f.getValue()), "ftruncate " + f.getKey());
            }
            pid = tracer.spawn(cpu, fds.values().stream().mapToInt(Integer::intValue).toArray());
            livePids.add(pid);
        } finally {
            for (int fd : fds.values()) {
                syscall(SYS_CLOSE, fd); // the puppet has its own copies, with the same numbers
            }
        }
        String pinned = ProcFs.statusText(pid, "Cpus_allowed_list");
        if (!pinned.equals(Integer.toString(cpu))) {
            throw new LiveException("puppet not pinned to CPU " + cpu + ": Cpus_allowed_list " + pinned);
        }
        procs.add(new Proc(0, pid, new LinkedHashMap<>()));
        // Small pages only: THP (PMD-sized and multi-size, anon and shmem) off for the whole mm, inherited by forks.
        check(tracer.inject(pid, SYS_PRCTL, PR_SET_THP_DISABLE, 1, 0, 0, 0), "prctl(PR_SET_THP_DISABLE)");
        if (ProcFs.statusField(pid, "THP_enabled") != 0) {
            throw new LiveException("THP still enabled after PR_SET_THP_DISABLE");
        }
        long lowestSpecial = Tracer.specialRanges(pid).stream().mapToLong(r -> r[0]).min().orElse(Tracer.TASK_SIZE);
        base = Math.floorDiv(lowestSpecial - program.span(), GIB) * GIB;
        if (base < GIB) {
            throw new LiveException("no room for a span of " + program.span() + " bytes below the vDSO");
        }
    }

    // ------------------------------------------------------------------------------------- steps

    private StepResult perform(int step, LiveOp op) {
        Proc p = proc(op.process());
        long r; // the kernel's raw result: -4095..-1 is -errno
        long shown = Long.MIN_VALUE; // what to report on success, when not r itself
        switch (op) {
            case LiveOp.Mmap m -> {
                long addr = base + m.offset();
                long flags = (m.shared() ? MAP_SHARED : MAP_PRIVATE) | (m.file() == null ? MAP_ANONYMOUS : 0);
                flags |= m.flags().contains(MapFlag.FIXED) ? MAP_FIXED : 0;
                flags |= m.flags().contains(MapFlag.LOCKED) ? MAP_LOCKED : 0;
                flags |= m.flags().contains(MapFlag.POPULATE) ? MAP_POPULATE : 0;
                long fd = m.file() == null ? -1 : fds.get(m.file());
                r = tracer.inject(p.pid, SYS_MMAP, addr, m.length(), m.prot().bits, flags, fd, m.fileOffset());
                boolean failed = r < 0 && r >= -4095;
                p.regions.put(m.region(), new long[] {failed ? addr : r, m.length()});
                shown = r - base;
            }
            case LiveOp.Access a -> {
                long addr = (a.region() == null ? base : p.regions.get(a.region())[0]) + a.page() * PAGE;
                Tracer.AccessFault f = tracer.access(p.pid, addr, a.write());
                if (f != null) {
                    return new StepResult(step, p.index, op.describe(), -1, null,
                            new Fault(signalName(f.signal()), codeName(f.signal(), f.code()), f.address() - base));
                }
                r = 0;
            }
            case LiveOp.Mlock m -> {
                long[] at = resolve(p, m.range());
                r = m.onFault() ? tracer.inject(p.pid, SYS_MLOCK2, at[0], at[1], MLOCK_ONFAULT)
                        : tracer.inject(p.pid, SYS_MLOCK, at[0], at[1]);
            }
            case LiveOp.Munlock m -> {
                long[] at = resolve(p, m.range());
                r = tracer.inject(p.pid, SYS_MUNLOCK, at[0], at[1]);
            }
            case LiveOp.Mlockall m -> {
                long flags = (m.flags().contains(MlockallFlag.CURRENT) ? MCL_CURRENT : 0)
                        | (m.flags().contains(MlockallFlag.FUTURE) ? MCL_FUTURE : 0)
                        | (m.flags().contains(MlockallFlag.ONFAULT) ? MCL_ONFAULT : 0);
                r = tracer.inject(p.pid, SYS_MLOCKALL, flags);
            }
            case LiveOp.Munlockall m -> r = tracer.inject(p.pid, SYS_MUNLOCKALL);
            case LiveOp.Mprotect m -> {
                long[] at = resolve(p, m.range());
                r = tracer.inject(p.pid, SYS_MPROTECT, at[0], at[1], m.prot().bits);
            }
            case LiveOp.Mremap m -> {
                long[] at = resolve(p, m.range());
                long flags = (m.flags().contains(MremapFlag.MAYMOVE) ? MREMAP_MAYMOVE : 0)
                        | (m.flags().contains(MremapFlag.FIXED) ? MREMAP_FIXED : 0)
                        | (m.flags().contains(MremapFlag.DONTUNMAP) ? MREMAP_DONTUNMAP : 0);
                r = tracer.inject(p.pid, SYS_MREMAP, at[0], at[1], m.newLength(), flags, base + m.newOffset());
                if (!(r < 0 && r >= -4095)) {
                    p.regions.put(m.newRegion(), new long[] {r, m.newLength()});
                }
                shown = r - base;
            }
            case LiveOp.Munmap m -> {
                long[] at = resolve(p, m.range());
                r = tracer.inject(p.pid, SYS_MUNMAP, at[0], at[1]);
            }
            case LiveOp.MadviseDontneed m -> {
                long[] at = resolve(p, m.range());
                r = tracer.inject(p.pid, SYS_MADVISE, at[0], at[1], MADV_DONTNEED);
            }
            case LiveOp.Fork f -> {
                r = tracer.inject(p.pid, SYS_CLONE, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
                if (r > 0) {
                    int child = tracer.adoptForked();
                    livePids.add(child);
                    LinkedHashMap<String, long[]> copy = new LinkedHashMap<>();
                    p.regions.forEach((k, v) -> copy.put(k, v.clone()));
                    procs.add(new Proc(procs.size(), child, copy));
                    shown = procs.size() - 1;
                } else {
                    procs.add(null); // numbered, but never came to be
                }
            }
            case LiveOp.Exit e -> {
                r = tracer.inject(p.pid, SYS_EXIT_GROUP, 0);
                p.alive = false;
                livePids.remove((Integer) p.pid);
            }
            case LiveOp.Ftruncate t -> r = tracer.inject(p.pid, SYS_FTRUNCATE, fds.get(t.file()), t.length());
            case LiveOp.Observe o -> throw new IllegalStateException();
        }
        if (r < 0 && r >= -4095) {
            return new StepResult(step, p.index, op.describe(), -1, Errno.name((int) -r), null);
        }
        return new StepResult(step, p.index, op.describe(), shown != Long.MIN_VALUE ? shown : r, null, null);
    }

    private Proc proc(int index) {
        Proc p = index < procs.size() ? procs.get(index) : null;
        if (p == null || !p.alive) {
            throw new LiveException("process " + index + " does not exist (its fork failed or it exited)");
        }
        return p;
    }

    private long[] resolve(Proc p, Range r) {
        if (r.region() == null) {
            return new long[] {base + r.offset(), r.length()};
        }
        long[] reg = p.regions.get(r.region());
        long len = r.length() >= 0 ? r.length() : reg[1] - r.offset();
        return new long[] {reg[0] + r.offset(), len};
    }

    private static String signalName(int sig) {
        return switch (sig) {
            case SIGSEGV -> "SIGSEGV";
            case SIGBUS -> "SIGBUS";
            default -> "SIG" + sig;
        };
    }

    private static String codeName(int sig, int code) {
        if (sig == SIGSEGV) {
            return switch (code) {
                case 1 -> "SEGV_MAPERR";
                case 2 -> "SEGV_ACCERR";
                case 4 -> "SEGV_PKUERR";
                default -> "SEGV_" + code;
            };
        }
        if (sig == SIGBUS) {
            return switch (code) {
                case 1 -> "BUS_ADRALN";
                case 2 -> "BUS_ADRERR";
                case 3 -> "BUS_OBJERR";
                case 4 -> "BUS_MCEERR_AR";
                default -> "BUS_" + code;
            };
        }
        return Integer.toString(code);
    }

    // ------------------------------------------------------------------------------ observation

    /**
     * Settles the kernel's per-CPU batches, then reads every live process (smaps, VmLck, pagemap) and
     * the kpageflags of every page found, twice; if anything moved in between (e.g. compaction
     * migrated a page, or a batch was still being flushed), the whole observation is read again.
     */
    private Observation observe(int step, String label) {
        if (options.drain() != LiveOptions.Drain.NONE) {
            drain(options.drain());
        }
        for (int attempt = 0; attempt < 5; attempt++) {
            Map<Integer, Snapshot> first = snapshots();
            Map<Long, Long> flags = pageFlags(first);
            Map<Integer, Snapshot> second = snapshots();
            if (first.equals(second) && flags.equals(pageFlags(second))) {
                return build(step, label, first, flags);
            }
        }
        throw new LiveException("observation " + label + " did not settle in 5 reads");
    }

    /**
     * Settles the kernel's per-CPU folio batches (LRU add / activate / deactivate / lazyfree and the
     * mlock batch) so that PG_lru, PG_unevictable and PG_mlocked are final before the oracles are read.
     *
     * <p>Primary: {@code move_pages(0, 0, NULL, nodes, NULL, 0)} from the tracer. With a non-NULL node
     * list and no pages, do_pages_move() moves nothing but still brackets its (empty) loop with
     * lru_cache_disable() / lru_cache_enable(), and lru_cache_disable() runs
     * __lru_add_drain_all(force_all_cpus = true): a drain work item on every CPU, waited for. No
     * privilege needed (it is our own mm). Needs CONFIG_NUMA + CONFIG_MIGRATION.
     *
     * <p>Fallback (ENOSYS): a local drain of the CPU the puppets are pinned to, done by a puppet:
     * mlock() of a fresh scratch page outside the program's span runs mlock_vma_pages_range(), which
     * calls lru_add_drain() (lru_add_drain_cpu + mlock_drain_local); then the page is unmapped.
     * (A plain munmap does not drain on 6.18: measured.)
     */
    private void drain(LiveOptions.Drain how) {
        if (how == LiveOptions.Drain.ALL_CPUS) {
            long r = syscall(SYS_MOVE_PAGES, 0, 0, 0, nodeList.address(), 0, 0);
            if (r == 0) {
                return;
            }
            if (r != -38 /* ENOSYS */) {
                throw new LiveException("move_pages (drain) failed: " + Errno.name((int) -r));
            }
        }
        List<Proc> live = liveProcs();
        if (live.isEmpty()) {
            return;
        }
        int pid = live.get(0).pid;
        long want = base - 16 * PAGE;
        long a = tracer.inject(pid, SYS_MMAP, want, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (a < 0 && a >= -4095) {
            a = check(tracer.inject(pid, SYS_MMAP, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "mmap (drain)");
        }
        check(tracer.inject(pid, SYS_MLOCK, a, PAGE), "mlock (drain)");
        check(tracer.inject(pid, SYS_MUNMAP, a, PAGE), "munmap (drain)");
    }

    private Map<Integer, Snapshot> snapshots() {
        Map<Integer, Snapshot> out = new HashMap<>();
        for (Proc p : liveProcs()) {
            out.put(p.index, snapshot(p));
        }
        return out;
    }

    private static Map<Long, Long> pageFlags(Map<Integer, Snapshot> snaps) {
        Map<Long, Long> flags = new HashMap<>();
        for (Snapshot s : snaps.values()) {
            for (long[] pm : s.pagemaps.values()) {
                for (long e : pm) {
                    if ((e & ProcFs.PM_PRESENT) != 0) {
                        flags.computeIfAbsent(e & ProcFs.PM_PFN_MASK, ProcFs::kpageflags);
                    }
                }
            }
        }
        return flags;
    }

    private List<Proc> liveProcs() {
        return procs.stream().filter(p -> p != null && p.alive).toList();
    }

    /** What one read of a process gives, compared between the two reads. */
    private record Snapshot(long vmLck, List<ProcFs.SmapsVma> vmas, Map<String, long[]> pagemaps) {
        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Snapshot s) || vmLck != s.vmLck || !vmas.equals(s.vmas) || !pagemaps.keySet().equals(s.pagemaps.keySet())) {
                return false;
            }
            return pagemaps.entrySet().stream().allMatch(e -> java.util.Arrays.equals(e.getValue(), s.pagemaps.get(e.getKey())));
        }

        @Override
        public int hashCode() {
            return Long.hashCode(vmLck);
        }
    }

    private Snapshot snapshot(Proc p) {
        List<ProcFs.SmapsVma> vmas = ProcFs.smaps(p.pid);
        long vmLck = ProcFs.statusField(p.pid, "VmLck");
        Map<String, long[]> pm = new LinkedHashMap<>();
        p.regions.forEach((name, reg) -> pm.put(name, ProcFs.pagemap(p.pid, reg[0], pageCount(reg[1]))));
        return new Snapshot(vmLck, vmas, pm);
    }

    private static int pageCount(long length) {
        return (int) Math.max(0, (length + PAGE - 1) / PAGE);
    }

    private Observation build(int step, String label, Map<Integer, Snapshot> snaps, Map<Long, Long> flags) {
        Map<Long, Integer> identity = new HashMap<>();
        List<ProcessView> views = new ArrayList<>();
        for (Proc p : liveProcs()) {
            Snapshot s = snaps.get(p.index);
            List<RegionView> regions = new ArrayList<>();
            for (Map.Entry<String, long[]> reg : p.regions.entrySet()) {
                long[] pm = s.pagemaps.get(reg.getKey());
                List<PageView> pages = new ArrayList<>();
                for (int i = 0; i < pm.length; i++) {
                    long e = pm[i];
                    if ((e & ProcFs.PM_PRESENT) == 0) {
                        pages.add(new PageView(i, false, 0, false, false, PageKind.NONE));
                        continue;
                    }
                    long pfn = e & ProcFs.PM_PFN_MASK;
                    long f = flags.get(pfn);
                    int id = identity.computeIfAbsent(pfn, k -> identity.size() + 1);
                    PageKind kind = bit(f, ProcFs.KPF_ZERO_PAGE) ? PageKind.ZERO : bit(f, ProcFs.KPF_ANON) ? PageKind.ANON : PageKind.FILE;
                    if (bit(f, ProcFs.KPF_THP) || bit(f, ProcFs.KPF_COMPOUND_HEAD) || bit(f, ProcFs.KPF_COMPOUND_TAIL)) {
                        throw new LiveException("a region page is part of a large folio although THP is disabled: "
                                + p.index + " " + reg.getKey() + "[" + i + "] flags 0x" + Long.toHexString(f));
                    }
                    pages.add(new PageView(i, true, id, bit(f, ProcFs.KPF_MLOCKED), bit(f, ProcFs.KPF_UNEVICTABLE), kind));
                }
                regions.add(new RegionView(reg.getKey(), reg.getValue()[0] - base, pages));
            }
            List<VmaView> vmas = new ArrayList<>();
            for (ProcFs.SmapsVma v : s.vmas) {
                if (v.special()) {
                    continue;
                }
                vmas.add(new VmaView(v.start() - base, v.end() - base, regionAt(p, v.start()), v.perms(), fileName(v.path()),
                        v.lockedKb(), v.flags().contains("lo"), v.flags()));
            }
            views.add(new ProcessView(p.index, s.vmLck, regions, vmas));
        }
        return new Observation(step, label, views);
    }

    private static boolean bit(long flags, int bit) {
        return (flags & (1L << bit)) != 0;
    }

    private static String regionAt(Proc p, long addr) {
        String found = null;
        for (Map.Entry<String, long[]> e : p.regions.entrySet()) {
            long[] r = e.getValue();
            if (addr >= r[0] && addr < r[0] + r[1]) {
                found = e.getKey(); // the latest definition wins
            }
        }
        return found;
    }

    private String fileName(String path) {
        if (path.isEmpty()) {
            return null;
        }
        String prefix = dir.toString() + "/";
        if (path.startsWith(prefix)) {
            return path.substring(prefix.length());
        }
        if (path.startsWith("/dev/zero") || path.startsWith("/SYSV")) {
            return "[shmem]";
        }
        return path;
    }

    @Override
    public void close() {
        try {
            tracer.close();
        } finally {
            arena.close();
            livePids.clear();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                // best effort: a leftover empty tmpfs directory is harmless
            }
        }
    }
}
