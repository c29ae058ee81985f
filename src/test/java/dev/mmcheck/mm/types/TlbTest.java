package dev.mmcheck.mm.types;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.lockdep.Machines;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The direct-mapped TLB: which entry may cache a page, and which entries a flush looks at. */
class TlbTest {
    private static final long BASE = 0x40000000L;
    private static final long PAGE = Pgtable.PAGE_SIZE;

    private static Tlb tlb() {
        Kernel k = Machines.machine(List.of(x -> {})).k();
        return k.tlbs()[0];
    }

    private static List<Integer> flushed(Tlb t, long start, long end) {
        List<Integer> seen = new ArrayList<>();
        t.forEachEntry(start, end, seen::add);
        return seen;
    }

    @Test
    void neighbouringPagesHaveEntriesOfTheirOwn() {
        Tlb t = tlb();
        List<Integer> entries = new ArrayList<>();
        for (int i = 0; i < Tlb.ENTRIES; i++) {
            entries.add(t.entry(BASE + i * PAGE));
        }
        assertThat(entries).doesNotHaveDuplicates();
        assertThat(t.entry(BASE + Tlb.ENTRIES * PAGE)).isEqualTo(t.entry(BASE)); // the set wraps around
        assertThat(t.entry(BASE + 123)).isEqualTo(t.entry(BASE)); // any address in the page
    }

    @Test
    void aFlushOfOnePageLooksAtItsEntryOnly() {
        Tlb t = tlb();
        assertThat(flushed(t, BASE + PAGE, BASE + 2 * PAGE)).containsExactly(t.entry(BASE + PAGE));
        assertThat(flushed(t, BASE, BASE + 3 * PAGE))
                .containsExactly(t.entry(BASE), t.entry(BASE + PAGE), t.entry(BASE + 2 * PAGE));
    }

    @Test
    void aFlushOfAsManyPagesAsEntriesLooksAtEveryEntry() {
        Tlb t = tlb();
        assertThat(flushed(t, BASE, BASE + Tlb.ENTRIES * PAGE)).containsExactlyInAnyOrder(
                java.util.Arrays.stream(t.entries).boxed().toArray(Integer[]::new));
        assertThat(flushed(t, BASE, BASE + 512 * PAGE)).hasSize(Tlb.ENTRIES);
    }
}
