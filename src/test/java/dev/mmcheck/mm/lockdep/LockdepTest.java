package dev.mmcheck.mm.lockdep;

import static dev.mmcheck.mm.lockdep.Machines.lruThenPtl;
import static dev.mmcheck.mm.lockdep.Machines.machine;
import static dev.mmcheck.mm.lockdep.Machines.ptlThenLru;
import static dev.mmcheck.mm.lockdep.Machines.pteTable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmcheck.engine.Explorer;
import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Result;
import dev.mmcheck.engine.Verdict;
import dev.mmcheck.engine.Violation;
import dev.mmcheck.mm.Generation;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.PageTable;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.SpinLock;
import dev.mmcheck.mm.lockdep.Machines.Machine;
import dev.mmcheck.scenario.ScenarioProgram;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lock checking on programs written against the kernel's objects directly ({@link Machines}). */
class LockdepTest {

    @Test
    void abbaUnderAThirdLockNeverDeadlocksButIsALockOrderCycle() {
        Machine m = Machines.guardedAbba();
        Result r = new Explorer(m.program(), Options.exhaustive()).run();
        assertThat(r.verdict()).isEqualTo(Verdict.VERIFIED); // no DEADLOCK in any execution

        LockGraph g = m.k().lockdep.graph();
        assertThat(g.cycles()).hasSize(1);
        Violation v = g.lockOrderViolation(new Chains(ScenarioProgram.FRAMES));
        assertThat(v.kind()).isEqualTo(Kinds.LOCK_ORDER);
        assertThat(v.message()).contains("pte lock -> lru_lock", "lru_lock -> pte lock",
                "CPU0 t0 took lru_lock in guarded > ptl_then_lru > take_lru, holding ptl(", "(taken in guarded > ptl_then_lru)",
                "CPU1 t1 took ptl(", "in guarded > lru_then_ptl, holding lru_lock (taken in guarded > lru_then_ptl)");
        System.out.println(v);
    }

    @Test
    void theTwoOrdersInDifferentExecutionsAreACycleToo() {
        // One CPU takes the locks, in the order a flag that the other CPU may set says: no two
        // acquisitions of different CPUs ever overlap, yet over all executions the graph has the cycle.
        int[] flag = {-1};
        Machine m = machine(List.of(k -> {
            if (k.load("READ_ONCE(flag)", mem -> mem.read(flag[0]), Long::toString) == 0) {
                ptlThenLru(k);
            } else {
                lruThenPtl(k);
            }
        }, k -> k.step("WRITE_ONCE(flag, 1)", null, mem -> {
            mem.write(flag[0], 1);
            return 0;
        })));
        flag[0] = m.k().layout.alloc("flag");
        assertThat(new Explorer(m.program(), Options.exhaustive()).run().verdict()).isEqualTo(Verdict.VERIFIED);
        Violation v = m.k().lockdep.graph().lockOrderViolation(new Chains(ScenarioProgram.FRAMES));
        assertThat(v.kind()).isEqualTo(Kinds.LOCK_ORDER);
        assertThat(v.message()).contains("CPU0 t0 took lru_lock in ptl_then_lru > take_lru", "CPU0 t0 took ptl(");
    }

    @Test
    void aRealAbbaDeadlocksAndIsACycle() {
        Machine m = machine(List.of(Machines::ptlThenLru, Machines::lruThenPtl));
        Result r = new Explorer(m.program(), Options.exhaustive()).run();
        assertThat(r.found().violation().kind()).isEqualTo(Kinds.DEADLOCK);
        Result all = new Explorer(m.program(), Options.exhaustive().withStopAtFirst(false)).run();
        assertThat(all.verdict()).isEqualTo(Verdict.VIOLATION);
        assertThat(m.k().lockdep.graph().cycles()).hasSize(1);
    }

    @Mirrors(value = "sleeps_under_ptl", file = "test", version = "0")
    static void sleepsUnderPtl(Kernel k) {
        SpinLock ptl = pteTable(k).ptl;
        ptl.lock();
        k.page(0).lock();
        k.page(0).unlock();
        ptl.unlock();
    }

    @Mirrors(value = "trylocks_under_ptl", file = "test", version = "0")
    static void trylocksUnderPtl(Kernel k) {
        SpinLock ptl = pteTable(k).ptl;
        ptl.lock();
        if (k.page(0).trylock()) {
            k.page(0).unlock();
        }
        ptl.unlock();
    }

    @Test
    void blockingUnderASpinlockIsSleepInAtomicButATrylockIsNot() {
        Machine bad = machine(List.of(LockdepTest::sleepsUnderPtl));
        Result r = new Explorer(bad.program(), Options.exhaustive()).run();
        assertThat(r.found().violation().kind()).isEqualTo(Kinds.SLEEP_IN_ATOMIC);
        assertThat(r.found().violation().message()).contains("page lock of pfn 0 may sleep", "ptl(", "pte lock");

        Machine ok = machine(List.of(LockdepTest::trylocksUnderPtl));
        assertThat(new Explorer(ok.program(), Options.exhaustive()).run().verdict()).isEqualTo(Verdict.VERIFIED);
        LockGraph g = ok.k().lockdep.graph();
        assertThat(g.edges()).isEmpty();
        assertThat(g.trylocks()).extracting(LockGraph.Dependency::toLabel).containsExactly("page lock(trylock)");
    }

    /** V0 of mm0, VM_LOCKED, with mm0's users as given; CPU0 clears its vm_flags with or without mmap_lock. */
    static Machine clearVmFlags(Generation g, long users, boolean locked) {
        return machine(g, List.<java.util.function.Consumer<Kernel>>of(k -> {
            if (locked) {
                k.mm(0).mmapLock.downWrite();
            }
            k.step("vma->vm_flags &= ~VM_LOCKED", null, mem -> {
                mem.write(k.vma(0).flags, dev.mmcheck.mm.types.VmFlags.VM_READ);
                return 0;
            });
            if (locked) {
                k.mm(0).mmapLock.upWrite();
            }
        }), k -> {
            k.memory.write(k.vma(0).allocated, 1);
            k.memory.write(k.vma(0).mm, 1);
            k.memory.write(k.vma(0).flags, dev.mmcheck.mm.types.VmFlags.VM_READ | dev.mmcheck.mm.types.VmFlags.VM_LOCKED);
            k.memory.write(k.mm(0).users, users);
        });
    }

    @Test
    void vmFlagsNeedTheMmapLockForWriteExceptInExitMmapBeforeSeed004() {
        Machine locked = clearVmFlags(Generation.K4_4, 1, true);
        assertThat(new Explorer(locked.program(), Options.exhaustive()).run().verdict()).isEqualTo(Verdict.VERIFIED);

        Result r = new Explorer(clearVmFlags(Generation.K4_4, 1, false).program(), Options.exhaustive()).run();
        assertThat(r.found().violation().kind()).isEqualTo(Kinds.PROTECTION);
        assertThat(r.found().violation().message()).contains("V0->vm_flags changed", "without mm0.mmap_lock held for write");

        // exit_mmap (mm_users is 0) before seed 004: the annotated exception, counted, not a violation.
        Machine exit = clearVmFlags(Generation.K4_4, 0, false);
        assertThat(new Explorer(exit.program(), Options.exhaustive()).run().verdict()).isEqualTo(Verdict.VERIFIED);
        assertThat(exit.k().lockdep.graph().exceptions()).singleElement()
                .satisfies(x -> assertThat(x.name).isEqualTo("exit_mmap"));

        // With seed 004's fix exit_mmap holds mmap_lock there: no exception for it.
        Result fixed = new Explorer(clearVmFlags(Generation.K5_17, 0, false).program(), Options.exhaustive()).run();
        assertThat(fixed.found().violation().kind()).isEqualTo(Kinds.PROTECTION);
    }

    @Mirrors(value = "set_pte", file = "test", version = "0")
    static void setPte(Kernel k, boolean locked) {
        PageTable t = pteTable(k);
        if (locked) {
            t.ptl.lock();
        }
        t.write(3, Pgtable.mkPte(1, Pgtable.WRITE), "set_pte_at(T[3])");
        if (locked) {
            t.ptl.unlock();
        }
    }

    @Test
    void aPteChangedWithoutItsLockIsAProtectionViolation() {
        Machine bad = machine(List.of(k -> setPte(k, false)));
        Result r = new Explorer(bad.program(), Options.exhaustive()).run();
        assertThat(r.found().violation().kind()).isEqualTo(Kinds.PROTECTION);
        assertThat(r.found().violation().message()).contains("without its pte lock ptl(", "holding no lock", "set_pte_at(T[3])");

        Machine ok = machine(List.of(k -> setPte(k, true)));
        assertThat(new Explorer(ok.program(), Options.exhaustive()).run().verdict()).isEqualTo(Verdict.VERIFIED);
        // Every run of the step counts, the explorer's learning runs too.
        assertThat(ok.k().lockdep.graph().checkedWrites()).isPositive();
    }
}
