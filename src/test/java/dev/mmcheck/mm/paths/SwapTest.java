package dev.mmcheck.mm.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmcheck.engine.Explorer;
import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Result;
import dev.mmcheck.engine.Verdict;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.lockdep.Machines;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Swap slots: each CPU takes them from a cluster of its own. */
class SwapTest {

    @Test
    void twoCpusSwappingOutTakeSlotsOfTheirOwnClusters() {
        Consumer<Kernel> swapOut = k -> k.swapC.addToSwap(k.pageAlloc.allocPage());
        Machines.Machine m = Machines.machine(List.of(swapOut, swapOut));
        Kernel k = m.k();
        List<long[]> finals = new ArrayList<>();
        Result r = new Explorer(m.program(), Options.exhaustive().withStopAtFirst(false), mem -> finals.add(new long[] {
            mem.peek(k.swap.cache[k.swap.clusterOf(0)]), mem.peek(k.swap.cache[k.swap.clusterOf(1)])})).run();
        assertThat(r.verdict()).isEqualTo(Verdict.VERIFIED);
        assertThat(finals).isNotEmpty().allSatisfy(f -> assertThat(f[0] != 0 && f[1] != 0).isTrue());
    }

    @Test
    void aCpuWhoseClusterIsFullTakesTheFirstFreeSlotOfTheDevice() {
        List<Consumer<Kernel>> cpus = List.of(k -> {
            for (int i = 0; i <= k.swap.perCpu; i++) {
                k.swapC.addToSwap(k.pageAlloc.allocPage());
            }
        });
        Machines.Machine m = Machines.machine(cpus);
        Kernel k = m.k();
        List<Long> firstOfCpu1 = new ArrayList<>();
        new Explorer(m.program(), Options.exhaustive(), mem -> firstOfCpu1.add(mem.peek(k.swap.cache[k.swap.clusterOf(1)]))).run();
        assertThat(firstOfCpu1).hasSize(1).allSatisfy(v -> assertThat(v).isNotZero());
    }
}
