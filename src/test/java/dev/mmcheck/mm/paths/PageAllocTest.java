package dev.mmcheck.mm.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmcheck.engine.Explorer;
import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Result;
import dev.mmcheck.engine.Verdict;
import dev.mmcheck.mm.Generation;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Sizes;
import dev.mmcheck.mm.lockdep.Machines;
import dev.mmcheck.mm.types.Page;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The page allocator's per-CPU lists: a CPU gets back what it freed, and no other CPU does while it has pages. */
class PageAllocTest {

    /** Drops the reference alloc_page gave, then frees the page as the last put would. */
    private static void putLast(Kernel k, Page p) {
        k.step("put_page(" + p.name() + ")", null, m -> {
            m.write(p.refcount, 0);
            return 0;
        });
        k.pageAlloc.freeUnrefPage(p);
    }

    @Test
    void aPageFreedOnOneCpuIsNotHandedToAnother() {
        List<Consumer<Kernel>> cpus = List.of(
                k -> putLast(k, k.pageAlloc.allocPage()),
                k -> k.pageAlloc.allocPage());
        Machines.Machine m = Machines.machine(cpus);
        // Per final state: the pages allocated (CPU1's) and the pages on CPU0's list (the one it freed).
        List<long[]> finals = new ArrayList<>();
        Result r = new Explorer(m.program(), Options.exhaustive().withStopAtFirst(false), mem -> {
            long allocated = 0;
            for (int pfn = 0; pfn < m.k().pageCount(); pfn++) {
                allocated |= mem.peek(m.k().page(pfn).allocated) << pfn;
            }
            finals.add(new long[] {allocated, mem.peek(m.k().pcp.lists[0])});
        }).run();
        assertThat(r.verdict()).isEqualTo(Verdict.VERIFIED);
        // Whichever CPU allocates first gets pfn 0; CPU1 never gets the page CPU0 freed, which stays on CPU0's list.
        assertThat(finals).hasSize(2).allSatisfy(f -> {
            assertThat(Long.bitCount(f[0])).isEqualTo(1);
            assertThat(Long.bitCount(f[1])).isEqualTo(1);
            assertThat(f[0] & f[1]).isZero();
            assertThat(f[0] | f[1]).isEqualTo(0b11L);
        });
    }

    /** With pcp-pages, each CPU starts with pages of its own: two CPUs allocating at once take their own. */
    @Test
    void cpusStartingWithPagesOfTheirOwnAllocateApart() {
        Sizes d = Sizes.defaults();
        Sizes sizes = new Sizes(d.pages(), d.pudTables(), d.pmdTables(), d.pteTables(), d.vmas(), d.mms(), d.anonVmas(),
                d.swapSlots(), d.files(), d.filePages(), 1);
        Consumer<Kernel> alloc = k -> k.pageAlloc.allocPage();
        Machines.Machine m = Machines.machine(Generation.K5_12, sizes, List.of(alloc, alloc), k -> {});
        List<Long> allocated = new ArrayList<>();
        Result r = new Explorer(m.program(), Options.exhaustive().withStopAtFirst(false), mem -> {
            long a = 0;
            for (int pfn = 0; pfn < m.k().pageCount(); pfn++) {
                a |= mem.peek(m.k().page(pfn).allocated) << pfn;
            }
            allocated.add(a);
        }).run();
        assertThat(r.verdict()).isEqualTo(Verdict.VERIFIED);
        assertThat(m.k().pageCount()).isEqualTo(d.pages() + 2);
        // One final state: CPU0 took the first page after the buddy pages, CPU1 the second, whoever went first.
        assertThat(allocated).containsExactly(0b11L << d.pages());
        assertThat(r.stats().executions()).isEqualTo(1);
    }

    @Test
    void aCpuGetsBackThePageItFreed() {
        List<Consumer<Kernel>> cpus = List.of(k -> {
            Page first = k.pageAlloc.allocPage();
            k.pageAlloc.allocPage();
            putLast(k, first);
            Page again = k.pageAlloc.allocPage();
            if (again != first) {
                k.fail("TEST", "got " + again.name() + " back instead of " + first.name());
            }
        });
        assertThat(new Explorer(Machines.machine(cpus).program(), Options.exhaustive()).run().verdict())
                .isEqualTo(Verdict.VERIFIED);
    }
}
