package dev.mmcheck.scenario;

import dev.mmcheck.engine.FrameNamer;
import dev.mmcheck.engine.ModelError;
import dev.mmcheck.engine.Program;
import dev.mmcheck.engine.ThreadSpec;
import dev.mmcheck.mm.Config;
import dev.mmcheck.mm.Generation;
import dev.mmcheck.mm.Invariants;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.mm.SetupError;
import dev.mmcheck.mm.Sizes;
import dev.mmcheck.mm.types.AddressSpace;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageTable;
import dev.mmcheck.mm.types.PerCpuPages;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Pgtable.Level;
import dev.mmcheck.mm.types.VmFlags;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A scenario instantiated for one variant: the kernel with its set-up done, and the program the
 * explorer runs (one thread per CPU, each running its commands through the kernel's entry points).
 */
public final class ScenarioProgram {
    public final Scenario scenario;
    public final Scenario.Variant variant;
    public final Kernel kernel;
    public final Program program;

    private ScenarioProgram(Scenario scenario, Scenario.Variant variant, Kernel kernel, Program program) {
        this.scenario = scenario;
        this.variant = variant;
        this.kernel = kernel;
        this.program = program;
    }

    /** Builds it; a bad variant or a set-up that cannot run is a {@link ScenarioError}. */
    public static ScenarioProgram build(Scenario s, String variantName) {
        Scenario.Variant v = s.variant(variantName);
        if (v == null) {
            throw new ScenarioError("unknown variant '" + variantName + "' of " + s.name() + " (known: "
                    + String.join(", ", s.variants().stream().map(Scenario.Variant::name).toList()) + ")");
        }
        Generation gen = Generation.of(v.kernel() != null ? v.kernel() : s.kernel());
        Set<Patch> patches = Kernel.patchesOf(gen);
        for (String p : v.patches()) {
            if (p.startsWith("+")) {
                patches.add(Patches.byName(p.substring(1)));
            } else {
                patches.remove(Patches.byName(p.substring(1)));
            }
        }
        Config d = Config.defaults();
        Config config = new Config(
                s.config().getOrDefault("split-pte-ptlocks", d.splitPtePtlocks()),
                s.config().getOrDefault("split-pmd-ptlocks", d.splitPmdPtlocks()),
                s.config().getOrDefault("move-pmd", d.haveMovePmd()),
                s.config().getOrDefault("move-pud", d.haveMovePud()));
        Sizes z = Sizes.defaults();
        Map<String, Integer> sz = s.sizes();
        Sizes sizes = new Sizes(sz.getOrDefault("pages", z.pages()), sz.getOrDefault("pud-tables", z.pudTables()),
                sz.getOrDefault("pmd-tables", z.pmdTables()), sz.getOrDefault("pte-tables", z.pteTables()),
                sz.getOrDefault("vmas", z.vmas()), Math.max(z.mms(), s.processes().size()),
                sz.getOrDefault("anon-vmas", z.anonVmas()), sz.getOrDefault("swap-slots", z.swapSlots()),
                Math.max(1, s.files().size()),
                (int) Math.max(1, s.files().stream().mapToLong(Scenario.File::pages).max().orElse(1)),
                sz.getOrDefault("pcp-pages", z.pcpPages()));
        if (sizes.pcpPages() > 0 && sizes.pages() + sizes.pcpPages() * s.cpus().size() > PerCpuPages.MAX_PFN) {
            throw new ScenarioError(s.source() + ": " + s.name() + ": size pages=" + sizes.pages() + " and pcp-pages="
                    + sizes.pcpPages() + " for " + s.cpus().size() + " CPUs make more than the " + PerCpuPages.MAX_PFN
                    + " pages the per-CPU lists can hold");
        }
        if (s.cpus().isEmpty()) {
            throw new ScenarioError(s.source() + ": " + s.name() + " has no 'cpu' section: nothing to explore"
                    + " (a scenario of sequential steps is for mmcheck conform)");
        }
        return build(s, v, gen, patches, config, sizes, Timeline.STRICT);
    }

    /**
     * Builds it for a kernel given in full, running the set-up (the timeline) with {@code listener}
     * watching: {@link Timeline#STRICT} for a race, an observer for {@code mmcheck conform}.
     */
    public static ScenarioProgram build(Scenario s, Scenario.Variant v, Generation gen, Set<Patch> patches, Config config,
            Sizes sizes, Timeline.Listener listener) {
        Kernel k = new Kernel(config, gen, patches, sizes, s.cpus().size());
        k.lockdep.setSetupFrames(FRAMES);

        Map<String, AddressSpace> files = new HashMap<>();
        for (Scenario.File f : s.files()) {
            AddressSpace as = k.file(files.size());
            files.put(f.name(), as);
            k.filemap.iSizeWrite(as, f.pages() << Pgtable.PAGE_SHIFT);
        }
        Map<String, MmStruct> mms = new HashMap<>();
        for (Scenario.Process p : s.processes()) {
            mms.put(p.name(), k.mm(mms.size())); // a forked child's mm waits, empty, for its fork
        }
        Timeline.run(s, new Timeline.Run(k, files, mms), listener);
        List<ThreadSpec> threads = new ArrayList<>();
        for (int i = 0; i < s.cpus().size(); i++) {
            Scenario.Cpu cpu = s.cpus().get(i);
            k.setCpuMm(i, mms.get(cpu.process()));
            Map<Command, Page> pagesAt = new HashMap<>();
            for (Command c : cpu.program()) {
                Timeline.checkFiles(c, files);
                Page page = Timeline.resolve(k, c, mms.get(cpu.process()));
                if (page != null) {
                    pagesAt.put(c, page);
                }
            }
            List<Command> cmds = cpu.program();
            threads.add(new ThreadSpec("CPU" + i + " " + cpu.name(), steps -> {
                k.enter(steps);
                for (int at = 0; at < cmds.size(); at++) {
                    Command c = cmds.get(at);
                    // What the call learned on the way stays in the kernel: this CPU's next command
                    // is fixed, and what it returns is not looked at.
                    steps.beginCall(at);
                    Syscalls.run(k, c, pagesAt.get(c), files, mms);
                    steps.endCall(0);
                }
            }));
        }
        k.leave();
        k.lockdep.setThreads(threads);
        Program program = new Program(k.memory, threads, Invariants.stepChecks(k), Invariants.finalChecks(k));
        return new ScenarioProgram(s, v, k, program);
    }

    /** The page a present pte maps at addr in the set-up's final state, or null. */
    static Page pageMappedAt(Kernel k, MmStruct mm, long addr) {
        PageTable t = mm.pgd;
        for (Level level = Level.PGD; level != Level.PTE; level = Level.values()[level.ordinal() - 1]) {
            long e = k.memory.peek(t.entrySlot(level.index(addr)));
            if (!Pgtable.present(e)) {
                return null;
            }
            t = k.table(Pgtable.tableId(e));
        }
        long pte = k.memory.peek(t.entrySlot(Level.PTE.index(addr)));
        return Pgtable.present(pte) ? k.page(Pgtable.pfn(pte)) : null;
    }

    /** Names a step by the kernel functions (those marked {@link Mirrors}) on the Java stack, outermost first. */
    public static final FrameNamer FRAMES = () -> StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
            .walk(frames -> {
                List<String> names = new ArrayList<>();
                frames.forEach(f -> {
                    Mirrors m = mirrors(f);
                    if (m != null) {
                        names.add(0, m.value());
                    }
                });
                return names.toArray(String[]::new);
            });

    private static final Map<String, Mirrors> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    private static Mirrors mirrors(StackWalker.StackFrame f) {
        Class<?> c = f.getDeclaringClass();
        if (!c.getPackageName().startsWith("dev.mmcheck.mm")) {
            return null;
        }
        String key = c.getName() + "#" + f.getMethodName() + f.getDescriptor();
        return CACHE.computeIfAbsent(key, x -> {
            try {
                Method m = c.getDeclaredMethod(f.getMethodName(), f.getMethodType().parameterArray());
                Mirrors a = m.getAnnotation(Mirrors.class);
                return a == null ? NONE : a;
            } catch (NoSuchMethodException e) {
                return NONE;
            }
        }) == NONE ? null : CACHE.get(key);
    }

    private static final Mirrors NONE = new Mirrors() {
        public String value() { return ""; }
        public String file() { return ""; }
        public String version() { return ""; }
        public Class<? extends java.lang.annotation.Annotation> annotationType() { return Mirrors.class; }
    };

    static long vmFlags(boolean writable) {
        return writable ? VmFlags.VM_WRITE : 0;
    }
}
