package dev.mmcheck.mm.lockdep;

import dev.mmcheck.engine.Program;
import dev.mmcheck.engine.ThreadSpec;
import dev.mmcheck.mm.Config;
import dev.mmcheck.mm.Generation;
import dev.mmcheck.mm.Invariants;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.Sizes;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.PageTable;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.SpinLock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Programs written against the kernel's objects directly, for the lock checks: the scenario
 * language only has real syscalls, and real kernel paths take their locks in one order. Each
 * "kernel function" here is a method marked {@link Mirrors}, so reports name it as they name the
 * kernel's.
 */
public final class Machines {
    private Machines() {}

    /** A kernel, its program and what the threads do with it. */
    public record Machine(Kernel k, Program program) {}

    public static Machine machine(List<Consumer<Kernel>> cpus) {
        return machine(Generation.K4_4, cpus, k -> {});
    }

    /** {@code setup} writes the initial state directly (no steps). */
    public static Machine machine(Generation g, List<Consumer<Kernel>> cpus, Consumer<Kernel> setup) {
        return machine(g, Sizes.defaults(), cpus, setup);
    }

    public static Machine machine(Generation g, Sizes sizes, List<Consumer<Kernel>> cpus, Consumer<Kernel> setup) {
        Kernel k = new Kernel(Config.defaults(), g, Kernel.patchesOf(g), sizes, cpus.size());
        setup.accept(k);
        List<ThreadSpec> threads = new ArrayList<>();
        for (int i = 0; i < cpus.size(); i++) {
            Consumer<Kernel> body = cpus.get(i);
            threads.add(new ThreadSpec("CPU" + i + " t" + i, steps -> {
                k.enter(steps);
                body.accept(k);
            }));
        }
        k.memory.write(pteTable(k).allocated, 1); // a live PTE table: its lock and entries may be used
        k.leave();
        k.lockdep.setThreads(threads);
        return new Machine(k, new Program(k.memory, threads, Invariants.stepChecks(k), Invariants.finalChecks(k)));
    }

    public static PageTable pteTable(Kernel k) {
        for (int i = 0; i < k.tableCount(); i++) {
            if (k.table(i).level == Pgtable.Level.PTE) {
                return k.table(i);
            }
        }
        throw new AssertionError();
    }

    // ---- the "kernel functions" of the tests ----

    @Mirrors(value = "ptl_then_lru", file = "test", version = "0")
    public static void ptlThenLru(Kernel k) {
        SpinLock ptl = pteTable(k).ptl;
        ptl.lock();
        takeLru(k);
        ptl.unlock();
    }

    @Mirrors(value = "take_lru", file = "test", version = "0")
    public static void takeLru(Kernel k) {
        k.lru.lruLock.lock();
        k.lru.lruLock.unlock();
    }

    @Mirrors(value = "lru_then_ptl", file = "test", version = "0")
    public static void lruThenPtl(Kernel k) {
        SpinLock ptl = pteTable(k).ptl;
        k.lru.lruLock.lock();
        ptl.lock();
        ptl.unlock();
        k.lru.lruLock.unlock();
    }

    /** Both orders, but each under mm0's mmap_lock held for write: they never overlap, so nothing deadlocks. */
    @Mirrors(value = "guarded", file = "test", version = "0")
    public static void guarded(Kernel k, boolean ptlFirst) {
        MmStruct mm = k.mm(0);
        mm.mmapLock.downWrite();
        if (ptlFirst) {
            ptlThenLru(k);
        } else {
            lruThenPtl(k);
        }
        mm.mmapLock.upWrite();
    }


    /** The ABBA of the tests: two CPUs take the pte lock and lru_lock in opposite orders, each under mm0's mmap_lock held for write. */
    public static Machine guardedAbba() {
        return machine(List.of(k -> guarded(k, true), k -> guarded(k, false)));
    }
}
