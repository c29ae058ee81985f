package dev.mmcheck.mm;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.PageTable;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Pgtable.Level;
import dev.mmcheck.mm.types.Vma;
import java.util.function.LongConsumer;

/**
 * Reads a state without taking steps: for checks and reports, never for kernel code. Walks only
 * present entries, so a 1 GiB vma with one page costs one path down the tables.
 */
public final class Peek {
    private Peek() {}

    /** Every live vma of mm, in list order. */
    public static void forEachVma(Kernel k, Memory m, MmStruct mm, java.util.function.Consumer<Vma> f) {
        int guard = 0;
        for (long v = m.peek(mm.mmap); v != 0 && guard++ < 64; v = m.peek(k.vma((int) v - 1).next)) {
            Vma vma = k.vma((int) v - 1);
            if (m.peek(vma.allocated) != 0) {
                f.accept(vma);
            }
        }
    }

    /** The present ptes of mm in [start, end): their values. */
    public static void forEachPte(Kernel k, Memory m, MmStruct mm, long start, long end, LongConsumer f) {
        walk(k, m, mm.pgd, start, end, (a, e) -> f.accept(e));
    }

    /** The present ptes of mm in [start, end), with their addresses. */
    public static void forEachPteWithAddress(Kernel k, Memory m, MmStruct mm, long start, long end, PteVisitor f) {
        walk(k, m, mm.pgd, start, end, f);
    }

    /** Sees one present pte. */
    @FunctionalInterface
    public interface PteVisitor {
        void visit(long address, long pte);
    }

    private static void walk(Kernel k, Memory m, PageTable t, long start, long end, PteVisitor f) {
        Level level = t.level;
        long size = level.size();
        for (long a = start; a < end; ) {
            long next = Math.min(end, (a & ~(size - 1)) + size);
            long e = m.peek(t.entrySlot(level.index(a)));
            if (level == Level.PTE) {
                if (Pgtable.present(e)) {
                    f.visit(a, e);
                }
            } else if (Pgtable.present(e)) {
                walk(k, m, k.table(Pgtable.tableId(e)), a, next, f);
            }
            a = next;
        }
    }
}
