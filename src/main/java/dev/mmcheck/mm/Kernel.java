package dev.mmcheck.mm;

import dev.mmcheck.engine.Layout;
import dev.mmcheck.engine.Memory;
import dev.mmcheck.engine.Steps;
import dev.mmcheck.engine.Violation;
import dev.mmcheck.mm.paths.Filemap;
import dev.mmcheck.mm.paths.Gup;
import dev.mmcheck.mm.paths.Migrate;
import dev.mmcheck.mm.paths.Mlock;
import dev.mmcheck.mm.paths.Mmap;
import dev.mmcheck.mm.paths.Truncate;
import dev.mmcheck.mm.paths.MmMemory;
import dev.mmcheck.mm.paths.Mremap;
import dev.mmcheck.mm.paths.OomKill;
import dev.mmcheck.mm.paths.PageAlloc;
import dev.mmcheck.mm.paths.PageVmaMapped;
import dev.mmcheck.mm.paths.Rmap;
import dev.mmcheck.mm.paths.Swap;
import dev.mmcheck.mm.paths.TlbFlush;
import dev.mmcheck.mm.paths.User;
import dev.mmcheck.mm.paths.Vmscan;
import dev.mmcheck.mm.paths.VmaSplit;
import dev.mmcheck.mm.paths.Mprotect;
import dev.mmcheck.mm.paths.Madvise;
import dev.mmcheck.mm.paths.Fork;
import dev.mmcheck.mm.lockdep.Acquisition;
import dev.mmcheck.mm.lockdep.Lockdep;
import dev.mmcheck.mm.types.AddressSpace;
import dev.mmcheck.mm.types.AnonVma;
import dev.mmcheck.mm.types.PerCpuPages;
import dev.mmcheck.mm.types.RwSemaphore;
import dev.mmcheck.mm.types.SpinLock;
import dev.mmcheck.mm.types.Lru;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageTable;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.SwapSpace;
import dev.mmcheck.mm.types.Tlb;
import dev.mmcheck.mm.types.Vma;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.LongFunction;

/**
 * The modelled machine: every kernel object (in fixed pools), the kernel's code (one object per
 * source file, named after it), and the thread that is running. Kernel code reaches shared state
 * only through {@link #step} and {@link #load}; each call is one step the explorer can interleave.
 *
 * <p>Before exploration, the scenario's set-up runs the same code sequentially on a pseudo-CPU:
 * its steps apply at once to {@link #memory}, which then becomes the initial state.
 */
public final class Kernel {
    public final Config config;
    public final Generation generation;
    private final Set<Patch> patches;
    public final Layout layout = new Layout();
    public final Memory memory;
    public final int cpus;
    public final int setupCpu;

    private final Page[] pages;
    private final PageTable[] tables;
    private final Vma[] vmas;
    private final MmStruct[] mms;
    private final AnonVma[] anonVmas;
    private final AddressSpace[] files;
    private final java.util.List<SpinLock> spinLocks = new java.util.ArrayList<>();
    private final java.util.List<RwSemaphore> rwsems = new java.util.ArrayList<>();
    private final Tlb[] tlbs;
    /** How many TLB entries cache each pfn (model bookkeeping for the check at free). */
    public final dev.mmcheck.mm.types.TlbReach tlbReach;
    /** Each CPU's own free pages (the set-up pseudo-CPU's last). */
    public final PerCpuPages pcp;
    public final Lru lru;
    /** The NR_MLOCK zone counter: +1 on every successful TestSetPageMlocked, -1 on every successful TestClear. */
    public final int nrMlock;
    public final SwapSpace swap;
    private final MmStruct[] cpuMm;

    public final Rmap rmap = new Rmap(this);
    public final PageVmaMapped pageVmaMapped = new PageVmaMapped(this);
    public final Mremap mremap = new Mremap(this);
    public final Mmap mmap = new Mmap(this);
    public final MmMemory memoryC = new MmMemory(this);
    public final Vmscan vmscan = new Vmscan(this);
    public final Swap swapC = new Swap(this);
    public final PageAlloc pageAlloc = new PageAlloc(this);
    public final TlbFlush tlbFlush = new TlbFlush(this);
    public final User user = new User(this);
    public final Mlock mlock = new Mlock(this);
    public final Gup gup = new Gup(this);
    public final Truncate truncate = new Truncate(this);
    public final Filemap filemap = new Filemap(this);
    public final OomKill oomKill = new OomKill(this);
    public final Migrate migrate = new Migrate(this);
    public final VmaSplit vmaSplit = new VmaSplit(this);
    public final Mprotect mprotect = new Mprotect(this);
    public final Madvise madvise = new Madvise(this);
    public final Fork fork = new Fork(this);

    /** The lock validator: lock graph, sleeping in atomic context, "protected by" rules. */
    public final Lockdep lockdep = new Lockdep(this);

    private Steps current;
    /** Locks the running code holds, innermost last (rebuilt on every run of a thread's code). */
    private java.util.List<Object> held = new java.util.ArrayList<>();

    /** {@code patches}: every patch applied (a generation's own plus or minus the variant's). */
    public Kernel(Config config, Generation generation, Set<Patch> patches, Sizes sizes, int cpus) {
        this.config = config;
        this.generation = generation;
        this.patches = patches.isEmpty() ? EnumSet.noneOf(Patch.class) : EnumSet.copyOf(patches);
        this.cpus = cpus;
        this.setupCpu = cpus;
        pages = new Page[sizes.pages() + sizes.pcpPages() * cpus];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = new Page(this, i);
        }
        vmas = new Vma[sizes.vmas()];
        for (int i = 0; i < vmas.length; i++) {
            vmas[i] = new Vma(this, i);
        }
        anonVmas = new AnonVma[sizes.anonVmas()];
        for (int i = 0; i < anonVmas.length; i++) {
            anonVmas[i] = new AnonVma(this, i);
        }
        files = new AddressSpace[sizes.files()];
        for (int i = 0; i < files.length; i++) {
            files[i] = new AddressSpace(this, i, sizes.filePages());
        }
        tlbs = new Tlb[cpus];
        for (int i = 0; i < cpus; i++) {
            tlbs[i] = new Tlb(this, i);
        }
        tlbReach = new dev.mmcheck.mm.types.TlbReach(this, pages.length);
        lru = new Lru(this);
        nrMlock = layout.alloc("NR_MLOCK");
        swap = new SwapSpace(this, sizes.swapSlots());
        // Each mm owns its PGD from birth (mm_alloc -> pgd_alloc); the other tables are pooled per level.
        mms = new MmStruct[sizes.mms()];
        tables = new PageTable[sizes.mms() + sizes.pudTables() + sizes.pmdTables() + sizes.pteTables()];
        int id = 0;
        for (int i = 0; i < mms.length; i++, id++) {
            tables[id] = new PageTable(this, id, Pgtable.Level.PGD);
            mms[i] = new MmStruct(this, i, tables[id]);
        }
        for (int i = 0; i < sizes.pudTables(); i++, id++) {
            tables[id] = new PageTable(this, id, Pgtable.Level.PUD);
        }
        for (int i = 0; i < sizes.pmdTables(); i++, id++) {
            tables[id] = new PageTable(this, id, Pgtable.Level.PMD);
        }
        for (int i = 0; i < sizes.pteTables(); i++, id++) {
            tables[id] = new PageTable(this, id, Pgtable.Level.PTE);
        }
        cpuMm = new MmStruct[cpus + 1];
        pcp = new PerCpuPages(this, cpus + 1);
        memory = new Memory(layout);
        for (int pfn = 0; pfn < sizes.pages(); pfn++) {
            memory.write(pages[pfn].buddy, 1);
        }
        for (int c = 0; c < cpus; c++) {
            long list = 0;
            for (int pfn = sizes.pages() + c * sizes.pcpPages(); pfn < sizes.pages() + (c + 1) * sizes.pcpPages(); pfn++) {
                if (pfn >= PerCpuPages.MAX_PFN) {
                    throw new IllegalArgumentException("pfn " + pfn + " on a per-CPU list: the lists hold pfns below " + PerCpuPages.MAX_PFN);
                }
                list |= 1L << pfn;
            }
            memory.write(pcp.lists[c], list);
        }
        for (MmStruct mm : mms) {
            memory.write(mm.pgd.allocated, 1);
            memory.write(mm.users, 1);
            memory.write(mm.count, 1);
            memory.write(mm.taskMm, 1);
        }
    }

    public boolean has(Patch p) {
        return patches.contains(p);
    }

    /** The patches a generation has: those merged in it or before. */
    public static Set<Patch> patchesOf(Generation g) {
        Set<Patch> s = EnumSet.noneOf(Patch.class);
        for (Patch p : Patch.values()) {
            if (p.since != null && p.since.compareTo(g) <= 0) {
                s.add(p);
            }
        }
        return s;
    }

    public Set<Patch> patches() {
        return EnumSet.copyOf(patches.isEmpty() ? EnumSet.noneOf(Patch.class) : patches);
    }

    // ---- the running thread -------------------------------------------------------------

    /** Called at the start of each model thread's body: steps now go to the explorer. */
    public void enter(Steps steps) {
        this.current = steps;
        this.held = new java.util.ArrayList<>();
        lockdep.enter();
    }

    /** Back to set-up mode: steps apply directly to {@link #memory}. */
    public void leave() {
        this.current = null;
        this.held = new java.util.ArrayList<>();
        lockdep.enter();
    }

    /** Lock bookkeeping of the running code (thread-local: derived from its own steps). */
    public void acquired(Object lock) {
        held.add(lock);
    }

    public void released(Object lock) {
        held.remove(lock);
    }

    public java.util.List<Object> held() {
        return held;
    }

    /**
     * A kernel entry point is returning: it must hold no lock it took (I-LOCK-BALANCE).
     * Violations end the execution with LOCK_LEAK, naming the locks.
     */
    public void checkReturnsUnlocked(String entry) {
        if (held.isEmpty()) {
            return;
        }
        String what = entry + " returned holding " + held;
        if (current == null) {
            throw new SetupError(what);
        }
        current.fail(Kinds.LOCK_LEAK, what);
    }

    /** The CPU running the current code (the set-up pseudo-CPU outside exploration). */
    public int cpu() {
        return current == null ? setupCpu : current.self();
    }

    /** current->mm of the task on this CPU. */
    public MmStruct currentMm() {
        return cpuMm[cpu()];
    }

    public void setCpuMm(int cpu, MmStruct mm) {
        cpuMm[cpu] = mm;
    }

    /** The TLB of the running CPU, or null during set-up (set-up accesses are not cached). */
    public Tlb tlb() {
        return current == null ? null : tlbs[current.self()];
    }

    public Tlb[] tlbs() {
        return tlbs;
    }

    // ---- steps -----------------------------------------------------------------------------

    /**
     * Runs {@code body}, a kernel function, as a summarized call ({@link Steps#beginCall}): once
     * it returns, the CPU's state keeps its result, the locks it holds, and nothing of how it got
     * there. So {@code body} may tell its caller nothing else (no Java object it changes is looked
     * at after).
     */
    public long summarized(String function, java.util.function.LongSupplier body) {
        if (current == null) {
            return body.getAsLong();
        }
        current.beginCall(function.hashCode());
        long r = body.getAsLong();
        // A buggy path may return holding a lock another path does not: that is the caller's to see.
        current.endCall(r ^ lockdep.heldKey() * 0x9e3779b97f4a7c15L);
        return r;
    }

    /** One step with no result worth showing. {@code guard} (may be null) must hold for it to run. */
    public void step(String text, KStep.Guard guard, KStep.Effect effect) {
        run(new KStep(text, guard, effect, null, null));
    }

    /** One step whose result the code uses; {@code shown} renders it in traces. */
    public long load(String text, KStep.Effect effect, LongFunction<String> shown) {
        return run(new KStep(text, null, effect, shown, null));
    }

    /** A step that acquires a lock (a blocking one waits for {@code guard}; a trylock has none and returns its result). */
    public long acquire(Acquisition what, String text, KStep.Guard guard, KStep.Effect effect, LongFunction<String> shown) {
        return run(new KStep(text, guard, effect, shown, what));
    }

    private long run(KStep op) {
        if (current != null) {
            long r;
            try {
                r = current.step(op);
            } catch (RuntimeException stop) {
                // The step is the thread's next one (the engine stops the code here): what the code
                // holds now is what it holds whenever the step runs.
                lockdep.created(op);
                throw stop;
            }
            lockdep.returned(r);
            return r;
        }
        lockdep.created(op);
        if (!op.enabled(memory)) {
            throw new SetupError("set-up would block at " + op.waitsFor());
        }
        long r = op.run(memory);
        Violation v = memory.takeViolation();
        if (v != null) {
            throw new SetupError("set-up broke a rule at " + op.describe(r) + ": " + v);
        }
        return r;
    }

    /** The running code hit a rule of the model: ends the execution as a violation of {@code kind}. */
    public void fail(String kind, String what) {
        if (current == null) {
            throw new SetupError(kind + ": " + what);
        }
        current.fail(kind, what);
    }

    /** BUG_ON(cond) at {@code site}: ends the execution as a violation. */
    public void bugOn(boolean cond, String site, String what) {
        if (!cond) {
            return;
        }
        if (current == null) {
            throw new SetupError("BUG at " + site + ": " + what);
        }
        current.fail(Kinds.BUG_ON, site + ": " + what);
    }

    // ---- objects ---------------------------------------------------------------------------

    public Page page(int pfn) {
        return pages[pfn];
    }

    public int pageCount() {
        return pages.length;
    }

    public PageTable table(int id) {
        return tables[id];
    }

    public int tableCount() {
        return tables.length;
    }


    public Vma vma(int id) {
        return vmas[id];
    }

    public int vmaCount() {
        return vmas.length;
    }

    public MmStruct mm(int id) {
        return mms[id];
    }

    public int mmCount() {
        return mms.length;
    }

    public AddressSpace file(int id) {
        return files[id];
    }

    public int fileCount() {
        return files.length;
    }

    /** Locks register themselves here, so checks can ask which are still held. */
    public void register(SpinLock l) {
        spinLocks.add(l);
    }

    public void register(RwSemaphore l) {
        rwsems.add(l);
    }

    public java.util.List<SpinLock> spinLocks() {
        return spinLocks;
    }

    public java.util.List<RwSemaphore> rwsems() {
        return rwsems;
    }

    public AnonVma anonVma(int id) {
        return anonVmas[id];
    }

    public int anonVmaCount() {
        return anonVmas.length;
    }

    public String mappingName(long mapping) {
        if (mapping == 0) {
            return "NULL";
        }
        if ((mapping & Page.MAPPING_ANON) != 0) {
            return "anon_vma" + ((mapping & ~Page.MAPPING_ANON) - 1);
        }
        return "mapping" + ((mapping & ~Page.MAPPING_FILE) - 1);
    }

    public static String yesNo(long r) {
        return r != 0 ? "yes" : "no";
    }
}
