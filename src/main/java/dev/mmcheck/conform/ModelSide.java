package dev.mmcheck.conform;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.live.LiveProgram;
import dev.mmcheck.live.LiveResult;
import dev.mmcheck.live.LiveResult.PageKind;
import dev.mmcheck.live.LiveResult.PageView;
import dev.mmcheck.live.LiveResult.ProcessView;
import dev.mmcheck.live.LiveResult.RegionView;
import dev.mmcheck.live.LiveResult.VmaView;
import dev.mmcheck.mm.Config;
import dev.mmcheck.mm.Generation;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.mm.Peek;
import dev.mmcheck.mm.Sizes;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;
import dev.mmcheck.mm.types.PageTable;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Pgtable.Level;
import dev.mmcheck.mm.types.VmFlags;
import dev.mmcheck.scenario.Command;
import dev.mmcheck.scenario.Outcome;
import dev.mmcheck.scenario.Scenario;
import dev.mmcheck.scenario.ScenarioProgram;
import dev.mmcheck.scenario.Timeline;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * The model's side of conform: the scenario's timeline run on the model of one kernel generation
 * (set-up mode: one system call after another, with nothing racing), each command's outcome, and
 * at each observation point what the live harness would read, computed from the model's state:
 * per region page present, which pages are the same page (numbered as the harness numbers them),
 * PG_mlocked, PG_unevictable, anonymous / file / zero page; VmLck (locked_vm); each vma's range,
 * permissions, file, smaps {@code Locked:} and VM_LOCKED. Also checks the expectations written in
 * the scenario ({@code => EINVAL} after a command, checks under {@code observe}).
 */
final class ModelSide implements Timeline.Listener {
    /** A test-only switch that breaks one rule of the model, to show that conform catches it. */
    static volatile UnaryOperator<Set<Patch>> patchOverride = null;

    private final Plan plan;
    final Generation generation;
    final Outcome[] outcomes;
    final List<LiveResult.Observation> observations = new ArrayList<>();
    final List<String> expectationFailures = new ArrayList<>();
    private final Map<Integer, LinkedHashMap<String, long[]>> regions = new HashMap<>();
    private final Set<Integer> alive = new TreeSet<>();
    private final List<String> names;
    private final List<String> fileNames = new ArrayList<>();

    private ModelSide(Plan plan, Generation generation) {
        this.plan = plan;
        this.generation = generation;
        this.outcomes = new Outcome[plan.scenario.timeline().size()];
        this.names = plan.processNames();
        for (Scenario.Process p : plan.scenario.processes()) {
            if (p.parent() == null) {
                int n = plan.processNumber.get(p.name());
                regions.put(n, new LinkedHashMap<>());
                alive.add(n);
            }
        }
        for (Scenario.File f : plan.scenario.files()) {
            fileNames.add(f.name());
        }
    }

    /** Runs the plan's scenario on the model of {@code gen}; a step the model cannot carry out is a ScenarioError. */
    static ModelSide run(Plan plan, Generation gen) {
        ModelSide side = new ModelSide(plan, gen);
        Scenario s = plan.scenario;
        Set<Patch> patches = Kernel.patchesOf(gen);
        UnaryOperator<Set<Patch>> o = patchOverride;
        if (o != null) {
            patches = o.apply(patches);
        }
        Scenario.Variant v = new Scenario.Variant("conform", gen.version, List.of(), "the generation conform compares against",
                new dev.mmcheck.scenario.Pos(s.source(), 1, 1));
        ScenarioProgram.build(s, v, gen, patches, Config.defaults(), sizes(s), side);
        return side;
    }

    /** Pools big enough for a sequential program (exploration speed does not matter here). */
    static Sizes sizes(Scenario s) {
        long filePages = 1;
        int shmem = 0;
        for (Scenario.File f : s.files()) {
            filePages = Math.max(filePages, f.pages());
        }
        for (Scenario.Step st : s.timeline()) {
            if (st instanceof Scenario.Call c) {
                if (c.command() instanceof Command.Mmap m) {
                    long pages = Math.min(4096, (Math.max(0, m.len()) + 4095) >>> 12);
                    if (m.shared() && m.file() == null) {
                        shmem++;
                        filePages = Math.max(filePages, pages);
                    } else if (m.file() != null) {
                        filePages = Math.max(filePages, Math.min(4096, m.pgoff() + pages));
                    }
                } else if (c.command() instanceof Command.Truncate t) {
                    filePages = Math.max(filePages, Math.min(4096, (t.size() + 4095) >>> 12));
                }
            }
        }
        return new Sizes(256, 8, 16, 64, 128, Math.max(2, s.processes().size()), 64, 1,
                Math.max(1, s.files().size() + shmem), (int) filePages, 0);
    }

    // ---- the listener -----------------------------------------------------------------------------

    @Override
    public void called(Timeline.Run run, int index, Scenario.Call call, Outcome outcome) {
        outcomes[index] = outcome;
        Scenario.Expect e = call.expect();
        if (e != null && !e.matches(outcome)) {
            expectationFailures.add(e.pos() + ": " + describe(call) + " gave " + outcome + ", the scenario expects " + e.text());
        }
        int p = plan.processNumber.get(call.process());
        LinkedHashMap<String, long[]> mine = regions.get(p);
        switch (call.command()) {
            case Command.Mmap m -> mine.put(plan.regionName[index], new long[] {outcome.failed() ? m.addr() : outcome.value(), m.len()});
            case Command.Mremap r -> {
                if (!outcome.failed()) {
                    mine.put(plan.regionName[index], new long[] {outcome.value(), r.newLen()});
                }
            }
            case Command.Fork f -> {
                int child = plan.processNumber.get(f.child());
                LinkedHashMap<String, long[]> copy = new LinkedHashMap<>();
                mine.forEach((k, v) -> copy.put(k, v.clone()));
                regions.put(child, copy);
                alive.add(child);
            }
            case Command.Exit x -> alive.remove(p);
            default -> { }
        }
    }

    static String describe(Scenario.Call call) {
        return call.process() + ": " + Differ.text(call.command());
    }

    @Override
    public void observed(Timeline.Run run, int index, Scenario.Observe o) {
        LiveResult.Observation obs = observe(run, index, o.label());
        observations.add(obs);
        for (Scenario.Check c : o.checks()) {
            String failed = Checks.check(c, obs, plan.processNumber.get(c.process()), run, this);
            if (failed != null) {
                expectationFailures.add(c.pos() + ": observe " + o.label() + ": " + failed);
            }
        }
    }

    // ---- what the harness would read ------------------------------------------------------------------

    private LiveResult.Observation observe(Timeline.Run run, int index, String label) {
        Kernel k = run.kernel();
        Memory m = k.memory;
        Map<Long, Integer> identity = new HashMap<>();
        List<ProcessView> views = new ArrayList<>();
        for (int p : alive) {
            MmStruct mm = run.mms().get(names.get(p));
            LinkedHashMap<String, long[]> mine = regions.get(p);
            List<RegionView> rv = new ArrayList<>();
            for (Map.Entry<String, long[]> r : mine.entrySet()) {
                long start = r.getValue()[0];
                int count = (int) Math.max(0, (r.getValue()[1] + LiveProgram.PAGE - 1) / LiveProgram.PAGE);
                List<PageView> pages = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    pages.add(pageView(k, m, mm, start + (long) i * LiveProgram.PAGE, i, identity));
                }
                rv.add(new RegionView(r.getKey(), start - Conform.BASE, pages));
            }
            List<VmaView> vmas = new ArrayList<>();
            Peek.forEachVma(k, m, mm, vma -> {
                long start = m.peek(vma.start);
                long end = m.peek(vma.end);
                long flags = m.peek(vma.flags);
                long file = m.peek(vma.file);
                String perms = ((flags & VmFlags.VM_READ) != 0 ? "r" : "-") + ((flags & VmFlags.VM_WRITE) != 0 ? "w" : "-") + "-"
                        + ((flags & VmFlags.VM_SHARED) != 0 ? "s" : "p");
                String fileName = file == 0 ? null : file - 1 < fileNames.size() ? fileNames.get((int) file - 1) : "[shmem]";
                boolean lo = (flags & VmFlags.VM_LOCKED) != 0;
                long[] pss = {0};
                if (lo) {
                    Peek.forEachPte(k, m, mm, start, end, pte -> {
                        if (Pgtable.isZero(pte)) {
                            return;
                        }
                        long mapcount = m.peek(k.page(Pgtable.pfn(pte)).mapcount);
                        long share = 4096L << 12;
                        pss[0] += mapcount >= 2 ? share / mapcount : share;
                    });
                }
                vmas.add(new VmaView(start - Conform.BASE, end - Conform.BASE, regionAt(mine, start), perms, fileName,
                        (pss[0] >> 12) >> 10, lo, List.of()));
            });
            views.add(new ProcessView(p, m.peek(mm.lockedVm) * 4, rv, vmas));
        }
        return new LiveResult.Observation(plan.liveStep[index], label, views);
    }

    static PageView pageView(Kernel k, Memory m, MmStruct mm, long addr, int index, Map<Long, Integer> identity) {
        long pte = pteAt(k, m, mm, addr);
        if (!Pgtable.present(pte)) {
            return new PageView(index, false, 0, false, false, PageKind.NONE);
        }
        long key = Pgtable.pfn(pte);
        int id = identity.computeIfAbsent(key, x -> identity.size() + 1);
        if (Pgtable.isZero(pte)) {
            return new PageView(index, true, id, false, false, PageKind.ZERO);
        }
        Page page = k.page(Pgtable.pfn(pte));
        long flags = page.peekFlags(m);
        boolean anon = (m.peek(page.mapping) & Page.MAPPING_ANON) != 0;
        return new PageView(index, true, id, (flags & PageFlags.bit(PageFlags.PG_mlocked)) != 0,
                (flags & PageFlags.bit(PageFlags.PG_unevictable)) != 0, anon ? PageKind.ANON : PageKind.FILE);
    }

    /** The pte mapping addr in mm (0 if the tables are not there). */
    static long pteAt(Kernel k, Memory m, MmStruct mm, long addr) {
        if (addr < 0 || addr >= (1L << 47)) {
            return 0;
        }
        PageTable t = mm.pgd;
        for (Level level = Level.PGD; level != Level.PTE; level = Level.values()[level.ordinal() - 1]) {
            long e = m.peek(t.entrySlot(level.index(addr)));
            if (!Pgtable.present(e)) {
                return 0;
            }
            t = k.table(Pgtable.tableId(e));
        }
        return m.peek(t.entrySlot(Level.PTE.index(addr)));
    }

    static String regionAt(Map<String, long[]> regions, long addr) {
        String found = null;
        for (Map.Entry<String, long[]> e : regions.entrySet()) {
            long[] r = e.getValue();
            if (addr >= r[0] && addr < r[0] + r[1]) {
                found = e.getKey();
            }
        }
        return found;
    }
}
