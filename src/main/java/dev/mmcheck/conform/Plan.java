package dev.mmcheck.conform;

import dev.mmcheck.live.LiveOp;
import dev.mmcheck.live.LiveOp.MapFlag;
import dev.mmcheck.live.LiveOp.MlockallFlag;
import dev.mmcheck.live.LiveOp.MremapFlag;
import dev.mmcheck.live.LiveOp.Prot;
import dev.mmcheck.live.LiveProgram;
import dev.mmcheck.live.Range;
import dev.mmcheck.scenario.Command;
import dev.mmcheck.scenario.Scenario;
import dev.mmcheck.scenario.ScenarioError;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scenario's timeline as a program for the live kernel: one {@link LiveOp} per command, processes
 * numbered as the live harness numbers them, and the names of the regions the observations compare.
 *
 * <p>Addresses: a scenario's address A is live offset A - {@link Conform#BASE} from the harness's
 * base (1 GiB aligned, so PMD and PUD alignment are the same on both sides). Processes: the first
 * process declared is live process 0; every other process declared with {@code process} (not by a
 * fork) is forked from process 0 before the first step, while process 0 still maps nothing, so it
 * starts empty as the model's does; processes created by {@code fork} are numbered after those, in
 * the order of the forks. Regions: each mmap defines (or redefines) the region named by its address
 * ("0x10000000"); a moving mremap defines the region of its destination, named by new_addr with
 * MREMAP_FIXED or MREMAP_DONTUNMAP, else by the name of the region it moves (which then follows it).
 * A read or write goes to the scenario's address itself (an offset from the base), whatever
 * regions there are.
 * {@code age} and {@code oom-victim} change nothing the oracles show (young bits, mm flags): they run
 * on the model only. Reclaim, migration and remap_file_pages have no system call here: a scenario
 * with them is refused.
 */
final class Plan {
    final Scenario scenario;
    final LiveProgram program;
    /** For each timeline step: the index of its op in the live program. */
    final int[] liveStep;
    /** For each timeline step that defines a region (mmap, mremap): the region's name. */
    final String[] regionName;
    final Map<String, Integer> processNumber = new LinkedHashMap<>();
    final long span;
    /** How many live ops come before the timeline's first (the forks that create the other empty processes). */
    final int prologue;

    private Plan(Scenario scenario, LiveProgram program, int[] liveStep, String[] regionName, long span, int prologue) {
        this.scenario = scenario;
        this.program = program;
        this.liveStep = liveStep;
        this.regionName = regionName;
        this.span = span;
        this.prologue = prologue;
    }

    static String name(long addr) {
        return "0x" + Long.toHexString(addr);
    }

    /**
     * A race's set-up as a sequential scenario: its timeline without its cpus, with an observation
     * at the end ({@code mmcheck conform --setup}).
     */
    static Scenario setupOf(Scenario s) {
        List<Scenario.Step> tl = new ArrayList<>(s.timeline());
        tl.add(new Scenario.Observe("set-up", List.of(), new dev.mmcheck.scenario.Pos(s.source(), 1, 1)));
        return new Scenario(s.name() + " (set-up)", s.source(), s.seed(), s.title(), s.kernel(), s.description(), s.variants(),
                s.expectations(), s.config(), s.sizes(), s.preemptionBound(), s.params(), s.files(), s.processes(), List.of(), List.copyOf(tl));
    }

    /** Builds the plan; a scenario conform cannot run is a {@link ScenarioError}. */
    static Plan of(Scenario s) {
        if (!s.cpus().isEmpty()) {
            throw new ScenarioError(s.cpus().get(0).pos(), s.name() + " has cpu sections: conform runs sequential scenarios"
                    + " (process sections and observe points) only; a race's set-up can be checked by writing it without its cpus");
        }
        List<Scenario.Step> tl = s.timeline();
        LiveProgram.Builder b = LiveProgram.builder();
        for (Scenario.File f : s.files()) {
            b.file(f.name(), f.pages());
        }
        Map<String, Integer> numbers = new LinkedHashMap<>();
        int next = 0;
        int prologue = 0;
        for (Scenario.Process p : s.processes()) {
            if (p.parent() == null) {
                if (next > 0) {
                    b.fork(0);
                    prologue++;
                }
                numbers.put(p.name(), next++);
            }
        }
        if (numbers.isEmpty()) {
            throw new ScenarioError(s.source() + ": " + s.name() + " has no process");
        }
        // the regions each process has, by name: the address and length the scenario asked for
        Map<Integer, LinkedHashMap<String, long[]>> regions = new HashMap<>();
        for (int n : numbers.values()) {
            regions.put(n, new LinkedHashMap<>());
        }
        int[] liveStep = new int[tl.size()];
        String[] regionName = new String[tl.size()];
        long maxEnd = Conform.BASE + (2L << 20);
        int op = prologue;
        for (int i = 0; i < tl.size(); i++) {
            Scenario.Step step = tl.get(i);
            if (step instanceof Scenario.Call c0 && (c0.command() instanceof Command.Age || c0.command() instanceof Command.OomVictim)) {
                liveStep[i] = -1; // kernel-internal state the oracles do not show (young bits, mm flags): the model's alone
                continue;
            }
            liveStep[i] = op++;
            if (step instanceof Scenario.Observe o) {
                b.observe(o.label());
                continue;
            }
            Scenario.Call call = (Scenario.Call) step;
            Command c = call.command();
            Integer pn = numbers.get(call.process());
            if (pn == null) {
                throw new ScenarioError(c.pos(), "process '" + call.process() + "' does not exist at this point");
            }
            int p = pn;
            LinkedHashMap<String, long[]> mine = regions.get(p);
            switch (c) {
                case Command.Mmap m -> {
                    String name = name(m.addr());
                    regionName[i] = name;
                    EnumSet<MapFlag> flags = EnumSet.noneOf(MapFlag.class);
                    if ((m.flags() & Command.MAP_FIXED) != 0) {
                        flags.add(MapFlag.FIXED);
                    }
                    if ((m.flags() & Command.MAP_LOCKED) != 0) {
                        flags.add(MapFlag.LOCKED);
                    }
                    if ((m.flags() & Command.MAP_POPULATE) != 0) {
                        flags.add(MapFlag.POPULATE);
                    }
                    b.add(new LiveOp.Mmap(p, name, offset(c, m.addr()), m.len(), prot(m.prot()), m.shared(), m.file(),
                            m.pgoff() * LiveProgram.PAGE, flags));
                    mine.put(name, new long[] {m.addr(), m.len()});
                    maxEnd = Math.max(maxEnd, spanEnd(m.addr(), m.len()));
                }
                case Command.Munmap m -> b.munmap(p, range(c, m.addr(), m.len()));
                case Command.Mprotect m -> b.mprotect(p, range(c, m.addr(), m.len()), prot(m.prot()));
                case Command.Mlock m -> {
                    if (m.on()) {
                        b.mlock(p, range(c, m.addr(), m.len()));
                    } else {
                        b.munlock(p, range(c, m.addr(), m.len()));
                    }
                }
                case Command.Mlock2 m -> b.add(new LiveOp.Mlock(p, range(c, m.addr(), m.len()), (m.flags() & Command.MLOCK_ONFAULT) != 0));
                case Command.Mlockall m -> {
                    EnumSet<MlockallFlag> f = EnumSet.noneOf(MlockallFlag.class);
                    if ((m.flags() & Command.MCL_CURRENT) != 0) {
                        f.add(MlockallFlag.CURRENT);
                    }
                    if ((m.flags() & Command.MCL_FUTURE) != 0) {
                        f.add(MlockallFlag.FUTURE);
                    }
                    if ((m.flags() & Command.MCL_ONFAULT) != 0) {
                        f.add(MlockallFlag.ONFAULT);
                    }
                    b.add(new LiveOp.Mlockall(p, f));
                }
                case Command.Munlockall m -> b.munlockall(p);
                case Command.Madvise m -> b.madviseDontneed(p, range(c, m.addr(), m.len()));
                case Command.Fork f -> {
                    b.fork(p);
                    int child = next++;
                    numbers.put(f.child(), child);
                    regions.put(child, new LinkedHashMap<>(copy(mine)));
                }
                case Command.Exit e -> b.exit(p);
                case Command.Truncate t -> b.add(new LiveOp.Ftruncate(p, t.file(), t.size()));
                case Command.Access a -> b.add(new LiveOp.Access(p, null, Math.floorDiv(offset(c, a.addr()), LiveProgram.PAGE), a.write()));
                case Command.Mremap r -> {
                    boolean newAddrGiven = (r.flags() & (Command.MREMAP_FIXED | Command.MREMAP_DONTUNMAP)) != 0;
                    Map.Entry<String, long[]> src = regionFor(mine, r.addr());
                    String name = newAddrGiven ? name(r.newAddr()) : src != null ? src.getKey() : name(r.addr());
                    regionName[i] = name;
                    EnumSet<MremapFlag> f = EnumSet.noneOf(MremapFlag.class);
                    if ((r.flags() & Command.MREMAP_MAYMOVE) != 0) {
                        f.add(MremapFlag.MAYMOVE);
                    }
                    if ((r.flags() & Command.MREMAP_FIXED) != 0) {
                        f.add(MremapFlag.FIXED);
                    }
                    if ((r.flags() & Command.MREMAP_DONTUNMAP) != 0) {
                        f.add(MremapFlag.DONTUNMAP);
                    }
                    long newOffset = newAddrGiven ? offset(c, r.newAddr()) : 0;
                    b.add(new LiveOp.Mremap(p, range(c, r.addr(), r.oldLen()), r.newLen(), f, newOffset, name));
                    mine.put(name, new long[] {newAddrGiven ? r.newAddr() : r.addr(), r.newLen()});
                    if (newAddrGiven) {
                        maxEnd = Math.max(maxEnd, spanEnd(r.newAddr(), r.newLen()));
                    }
                }
                default -> throw new ScenarioError(c.pos(), "'" + c.getClass().getSimpleName().toLowerCase()
                        + "' is not a system call conform can run on the live kernel");
            }
        }
        long span = Math.max(64L << 20, ((maxEnd - Conform.BASE + (2L << 20) - 1) >>> 21) << 21);
        b.span(span);
        LiveProgram program;
        try {
            program = b.build();
        } catch (IllegalArgumentException e) {
            throw new ScenarioError(s.source() + ": conform cannot build a live program: " + e.getMessage());
        }
        Plan plan = new Plan(s, program, liveStep, regionName, span, prologue);
        plan.processNumber.putAll(numbers);
        return plan;
    }

    /** How far the program's span must reach for a mapping at addr: bad inputs far away (past 16 GiB of the base) do not stretch it. */
    private static long spanEnd(long addr, long len) {
        long end = addr + Math.max(LiveProgram.PAGE, len);
        return addr < BASE_LIMIT && end > addr && end <= BASE_LIMIT ? end : Conform.BASE;
    }

    private static final long BASE_LIMIT = Conform.BASE + (16L << 30);

    private static Map<String, long[]> copy(Map<String, long[]> m) {
        Map<String, long[]> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }

    /** The latest-defined region containing addr, else the first region of the process (an access outside every region). */
    static Map.Entry<String, long[]> regionFor(Map<String, long[]> regions, long addr) {
        Map.Entry<String, long[]> found = null;
        Map.Entry<String, long[]> any = null;
        for (Map.Entry<String, long[]> e : regions.entrySet()) {
            long[] r = e.getValue();
            if (any == null) {
                any = e;
            }
            if (addr >= r[0] && addr < r[0] + r[1]) {
                found = e;
            }
        }
        return found != null ? found : any;
    }

    private static long offset(Command c, long addr) {
        if (addr < Conform.BASE) {
            throw new ScenarioError(c.pos(), "conform places addresses from " + Plan.name(Conform.BASE) + " on (the live base): "
                    + Plan.name(addr) + " is below it");
        }
        return addr - Conform.BASE;
    }

    private static Range range(Command c, long addr, long len) {
        return Range.absolute(offset(c, addr), len);
    }

    static Prot prot(int prot) {
        return switch (prot) {
            case Command.PROT_READ | Command.PROT_WRITE -> Prot.READ_WRITE;
            case Command.PROT_READ -> Prot.READ;
            default -> Prot.NONE;
        };
    }

    /** The live process numbers, in order, with the scenario's names. */
    List<String> processNames() {
        List<String> out = new ArrayList<>(processNumber.size());
        for (int i = 0; i < processNumber.size(); i++) {
            out.add(null);
        }
        processNumber.forEach((name, n) -> out.set(n, name));
        return out;
    }
}
