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

    /**
     * After every step: nothing at present. A rule about one field belongs in the step that changes
     * it (a mapcount below zero is reported by page_remove_rmap, the only step that lowers one): a
     * check here reads its slots after every step, and a step writing them can never be local.
     */
    public static List<Program.Check> stepChecks(Kernel k) {
        return List.of();
    }

    /**
     * Once every CPU has finished: no lock is still held; no page is mlocked or on the unevictable
     * list unless a VM_LOCKED vma maps it (I-STRAND); NR_MLOCK counts the mlocked pages (I-NR_MLOCK).
     * The data race on vm_flags is not judged: only its outcomes are.
     */
    public static List<Program.Check> finalChecks(Kernel k) {
        return List.of(m -> heldLock(k, m), m -> stranded(k, m), m -> nrMlock(k, m));
    }

    private static Violation stranded(Kernel k, Memory m) {
        java.util.BitSet lockedMapped = new java.util.BitSet();
        for (int i = 0; i < k.mmCount(); i++) {
            dev.mmcheck.mm.types.MmStruct mm = k.mm(i);
            Peek.forEachVma(k, m, mm, vma -> {
                if ((m.peek(vma.flags) & dev.mmcheck.mm.types.VmFlags.VM_LOCKED) != 0) {
                    Peek.forEachPte(k, m, mm, m.peek(vma.start), m.peek(vma.end),
                            pte -> lockedMapped.set(dev.mmcheck.mm.types.Pgtable.pfn(pte)));
                }
            });
        }
        for (int pfn = 0; pfn < k.pageCount(); pfn++) {
            Page p = k.page(pfn);
            if (m.peek(p.allocated) == 0 || lockedMapped.get(pfn)) {
                continue;
            }
            long f = p.peekFlags(m);
            boolean mlocked = (f & PageFlags.bit(PageFlags.PG_mlocked)) != 0;
            boolean unevictable = (f & PageFlags.bit(PageFlags.PG_lru)) != 0 && m.peek(p.lru) == dev.mmcheck.mm.types.Lru.UNEVICTABLE;
            if (mlocked || unevictable) {
                return new Violation(Kinds.MLOCK_STRANDED, "pfn " + pfn + " is " + (mlocked ? "PG_mlocked" : "")
                        + (mlocked && unevictable ? " and " : "") + (unevictable ? "on the unevictable list" : "")
                        + " but no VM_LOCKED vma maps it");
            }
        }
        return null;
    }

    private static Violation nrMlock(Kernel k, Memory m) {
        long count = 0;
        for (int pfn = 0; pfn < k.pageCount(); pfn++) {
            Page p = k.page(pfn);
            if (m.peek(p.allocated) != 0 && (p.peekFlags(m) & PageFlags.bit(PageFlags.PG_mlocked)) != 0) {
                count++;
            }
        }
        long nr = m.peek(k.nrMlock);
        return nr == count ? null : new Violation(Kinds.NR_MLOCK_MISMATCH, "NR_MLOCK is " + nr + " but " + count + " pages are PG_mlocked");
    }

    private static Violation heldLock(Kernel k, Memory m) {
        for (SpinLock l : k.spinLocks()) {
            long owner = m.peek(l.slot);
            if (owner != 0) {
                return new Violation(Kinds.LOCK_LEAK, l.name + " is still held by CPU" + (owner - 1) + " after every CPU finished");
            }
        }
        for (RwSemaphore l : k.rwsems()) {
            if (l.isHeld(m)) {
                return new Violation(Kinds.LOCK_LEAK, l.name + " is still held after every CPU finished");
            }
        }
        for (int pfn = 0; pfn < k.pageCount(); pfn++) {
            Page p = k.page(pfn);
            if (m.peek(p.allocated) != 0 && (p.peekFlags(m) & PageFlags.bit(PageFlags.PG_locked)) != 0) {
                return new Violation(Kinds.LOCK_LEAK, "the page lock of pfn " + pfn + " is still held after every CPU finished");
            }
        }
        return null;
    }
}
