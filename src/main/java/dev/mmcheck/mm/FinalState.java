package dev.mmcheck.mm;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.mm.types.Lru;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.RwSemaphore;
import dev.mmcheck.mm.types.SpinLock;
import dev.mmcheck.mm.types.VmFlags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What two kernel variants are compared on: each vma and its VM_LOCKED, each page by what it is
 * (which file page, or which addresses map an anonymous page) with its flags, LRU list and
 * mapcount, and the locks held. Page frame numbers are left out: they depend on allocation order.
 */
public final class FinalState {
    private FinalState() {}

    private static final long SHOWN_FLAGS = PageFlags.bit(PageFlags.PG_locked) | PageFlags.bit(PageFlags.PG_lru)
            | PageFlags.bit(PageFlags.PG_unevictable) | PageFlags.bit(PageFlags.PG_mlocked)
            | PageFlags.bit(PageFlags.PG_swapcache);

    public static String describe(Kernel k, Memory m) {
        List<String> lines = new ArrayList<>();
        Map<Integer, List<String>> mappedBy = new TreeMap<>();
        for (int i = 0; i < k.mmCount(); i++) {
            MmStruct mm = k.mm(i);
            Peek.forEachVma(k, m, mm, vma -> {
                long start = m.peek(vma.start);
                long end = m.peek(vma.end);
                lines.add("vma " + mm.name() + " " + Pgtable.hex(start) + "-" + Pgtable.hex(end) + " "
                        + VmFlags.names(m.peek(vma.flags) & (VmFlags.VM_LOCKED | VmFlags.VM_LOCKONFAULT)));
                long[] a = {start};
                Peek.forEachPteWithAddress(k, m, mm, start, end, (addr, pte) ->
                        mappedBy.computeIfAbsent(Pgtable.pfn(pte), x -> new ArrayList<>()).add(mm.name() + "@" + Pgtable.hex(addr)));
            });
        }
        for (int pfn = 0; pfn < k.pageCount(); pfn++) {
            Page p = k.page(pfn);
            if (m.peek(p.allocated) == 0) {
                continue;
            }
            long mapping = m.peek(p.mapping);
            String what = (mapping & Page.MAPPING_FILE) != 0
                    ? "file page " + k.mappingName(mapping) + "[" + m.peek(p.index) + "]"
                    : (mapping & Page.MAPPING_ANON) != 0 ? "anon page" : "page (no mapping)";
            long flags = p.peekFlags(m) & SHOWN_FLAGS;
            boolean onLru = (flags & PageFlags.bit(PageFlags.PG_lru)) != 0;
            lines.add(what + " mapped by " + mappedBy.getOrDefault(pfn, List.of()) + " mapcount " + m.peek(p.mapcount)
                    + " flags " + PageFlags.names(flags) + (onLru ? " on " + Lru.name(m.peek(p.lru)) : ""));
        }
        for (SpinLock l : k.spinLocks()) {
            if (m.peek(l.slot) != 0) {
                lines.add("held " + l.name);
            }
        }
        for (RwSemaphore l : k.rwsems()) {
            if (l.isHeld(m)) {
                lines.add("held " + l.name);
            }
        }
        lines.add("NR_MLOCK " + m.peek(k.nrMlock));
        lines.sort(null);
        return String.join("\n", lines);
    }
}
