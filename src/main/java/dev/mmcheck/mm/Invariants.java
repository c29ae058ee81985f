package dev.mmcheck.mm;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.engine.Program;
import dev.mmcheck.engine.Violation;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;
import dev.mmcheck.mm.types.RwSemaphore;
import dev.mmcheck.mm.types.SpinLock;
import java.util.List;

/**
 * The model's global rules, checked on states (the rules that belong to one step are checked by
 * the step itself: a freed page under a TLB entry, a freed page table, a failed BUG_ON).
 */
public final class Invariants {
    private Invariants() {}

    /** After every step: no page's mapcount below zero (zap_pte_range's print_bad_pte). */
    public static List<Program.Check> stepChecks(Kernel k) {
        return List.of(m -> {
            for (int pfn = 0; pfn < k.pageCount(); pfn++) {
                long c = m.peek(k.page(pfn).mapcount);
                if (c < 0) {
                    return new Violation(Kinds.BAD_PAGE, "BUG: Bad page map: pfn " + pfn + " has page_mapcount " + c);
                }
            }
            return null;
        });
    }

    /** Once every CPU has finished: no lock is still held (a path returned holding it). */
    public static List<Program.Check> finalChecks(Kernel k) {
        return List.of(m -> heldLock(k, m));
    }

    private static Violation heldLock(Kernel k, Memory m) {
        for (SpinLock l : k.spinLocks()) {
            long owner = m.peek(l.slot);
            if (owner != 0) {
                return new Violation(Kinds.LOCK_LEAK, l.name + " is still held by CPU" + (owner - 1) + " after every CPU finished");
            }
        }
        for (RwSemaphore l : k.rwsems()) {
            if (m.peek(l.slot) != 0) {
                return new Violation(Kinds.LOCK_LEAK, l.name + " is still held after every CPU finished");
            }
        }
        for (int pfn = 0; pfn < k.pageCount(); pfn++) {
            Page p = k.page(pfn);
            if (m.peek(p.allocated) != 0 && (m.peek(p.flags) & PageFlags.bit(PageFlags.PG_locked)) != 0) {
                return new Violation(Kinds.LOCK_LEAK, "the page lock of pfn " + pfn + " is still held after every CPU finished");
            }
        }
        return null;
    }
}
