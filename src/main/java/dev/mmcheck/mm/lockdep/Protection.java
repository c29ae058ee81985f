package dev.mmcheck.mm.lockdep;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.PageTable;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;

/**
 * The model's "protected by" declarations (reference section 2.2): which lock guards the changes
 * of which field. Checked at every step that changes one of these fields, against the locks the
 * thread held when it reached the step.
 */
final class Protection {
    private Protection() {}

    static void declare(Kernel k, Lockdep ld) {
        for (int i = 0; i < k.vmaCount(); i++) {
            Vma v = k.vma(i);
            ld.protect(v.flags, new VmFlagsRule(k, v));
        }
        for (int i = 0; i < k.tableCount(); i++) {
            PageTable t = k.table(i);
            if (t.level == Pgtable.Level.PTE) {
                Rule r = new PteRule(k, t);
                for (int e = 0; e < Pgtable.PTRS_PER_TABLE; e++) {
                    ld.protect(t.entrySlot(e), r);
                }
            }
        }
    }

    /**
     * vma->vm_flags: mmap_lock of vma->vm_mm held for write (mlock_fixup, munlock, mprotect,
     * mremap). Known exception: exit_mmap before seed 004 (5.17) clears VM_LOCKED in
     * munlock_vma_pages_all with no mmap_lock at all, once the mm has no users left; seed 000's
     * commit message explains why try_to_unmap_one's racing read of it is benign. A kernel with
     * seed 004's fix holds the lock there, so the exception is not granted to it.
     */
    static final class VmFlagsRule implements Rule {
        private final Kernel k;
        private final Vma vma;

        VmFlagsRule(Kernel k, Vma vma) {
            this.k = k;
            this.vma = vma;
        }

        @Override
        public String field() {
            return "vma->vm_flags";
        }

        @Override
        public String guard() {
            return "mmap_lock of vma->vm_mm held for write";
        }

        @Override
        public String exceptions() {
            return "exit_mmap: once mm_users is 0, exit_mmap's munlock clears VM_LOCKED without mmap_lock"
                    + " (kernels without seed 004's fix, before 5.17)";
        }

        @Override
        public Outcome judge(Memory m, int slot, long before, Held[] held) {
            long mmId = m.peek(vma.mm);
            if (mmId == 0) {
                return null;
            }
            MmStruct mm = k.mm((int) mmId - 1);
            for (Held h : held) {
                if (h.lock() == mm.mmapLock && h.mode() == Mode.WRITE) {
                    return null;
                }
            }
            String what = vma.name() + "->vm_flags changed (" + VmFlags.names(before) + " -> " + VmFlags.names(m.peek(slot))
                    + ") without " + mm.mmapLock.name + " held for write (holding " + Rule.heldText(held) + ")";
            boolean exitUnlocked = !k.has(Patch.EXIT_MMAP_WRITE_LOCK) || k.has(Patch.EXIT_MMAP_LATE_WRITE_LOCK);
            if (exitUnlocked && m.read(mm.users) == 0) {
                return Outcome.knownException("exit_mmap", what + ": " + mm.name() + " has no users left (exit_mmap)");
            }
            return Outcome.violation(what);
        }
    }

    /**
     * The entries of a PTE table: its pte lock (the split lock in the table's struct page, or
     * mm->page_table_lock without split pte locks). The MMU's own accessed/dirty updates of a
     * present pte are not kernel stores and are exempt.
     */
    static final class PteRule implements Rule {
        private static final long HW_BITS = Pgtable.YOUNG | Pgtable.DIRTY;
        private final Kernel k;
        private final PageTable table;

        PteRule(Kernel k, PageTable table) {
            this.k = k;
            this.table = table;
        }

        @Override
        public String field() {
            return "pte";
        }

        @Override
        public String guard() {
            return "the pte lock of its table";
        }

        @Override
        public Outcome judge(Memory m, int slot, long before, Held[] held) {
            long now = m.peek(slot);
            if (Pgtable.present(before) && (before & ~now) == 0 && ((now & ~before) & ~HW_BITS) == 0) {
                return null; // the MMU setting accessed/dirty
            }
            for (Held h : held) {
                if (h.lock() == table.ptl || (!k.config.splitPtePtlocks() && h.cls() == LockClass.PAGE_TABLE_LOCK)) {
                    return null;
                }
            }
            int index = -1;
            for (int e = 0; e < Pgtable.PTRS_PER_TABLE && index < 0; e++) {
                if (table.entrySlot(e) == slot) {
                    index = e;
                }
            }
            return Outcome.violation("pte T" + table.id + "[" + index + "] changed (" + Pgtable.pteString(before) + " -> "
                    + Pgtable.pteString(now) + ") without its pte lock " + (k.config.splitPtePtlocks() ? table.ptl.name : "page_table_lock")
                    + " (holding " + Rule.heldText(held) + ")");
        }
    }
}
