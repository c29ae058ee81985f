package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;
import dev.mmcheck.mm.types.Entry;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageTable;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Pgtable.Level;
import dev.mmcheck.mm.types.Tlb;

/**
 * A user-space load or store, as the CPU performs it: a TLB hit uses the cached translation
 * without looking at the page tables; a miss walks them as they are at that instant (one step)
 * and caches what it finds; a missing translation is a page fault for the kernel.
 */
public final class User {
    private static final long FAULT = -1;
    private static final int MAX_FAULTS = 3;
    /** How an access the kernel cannot resolve ends: SIGSEGV (no vma; or not allowed) or SIGBUS (beyond the end of a file). */
    public static final int SEGV_MAPERR = 1, SEGV_ACCERR = 2, BUS_ADRERR = 3;
    private final Kernel k;

    public User(Kernel k) {
        this.k = k;
    }

    /** Returns false when the access ends in SIGSEGV or SIGBUS. */
    public boolean access(long addr, boolean write) {
        return accessFault(addr, write) == 0;
    }

    /** 0 when the access completes, else the signal it ends in ({@link #SEGV_MAPERR}, {@link #SEGV_ACCERR}, {@link #BUS_ADRERR}). */
    public int accessFault(long addr, boolean write) {
        for (int faults = 0; ; faults++) {
            long r = mmuAccess(addr, write);
            if (r != FAULT) {
                return 0;
            }
            if (faults == MAX_FAULTS) {
                return SEGV_ACCERR;
            }
            int sig = k.memoryC.userFault(addr, write);
            if (sig != 0) {
                return sig;
            }
        }
    }

    private long mmuAccess(long addr, boolean write) {
        MmStruct mm = k.currentMm();
        Tlb tlb = k.tlb();
        String what = (write ? "write " : "read ") + Pgtable.hex(addr);
        return k.load(what, m -> {
            if (tlb != null) {
                long v = m.read(tlb.entry(addr));
                if (Tlb.valid(v) && Tlb.mm(v) == mm.id && Tlb.vaddr(v) == (addr & ~(Pgtable.PAGE_SIZE - 1))) {
                    int pfn = Tlb.pfn(v);
                    if (pfn != Pgtable.ZERO_PFN && m.read(k.page(pfn).allocated) == 0) {
                        m.violate(Kinds.STALE_TLB, "CPU" + tlb.cpu + " " + what + " went through a stale TLB entry to freed pfn " + pfn);
                    }
                    return pfn;
                }
            }
            // Hardware page-table walk.
            PageTable t = mm.pgd;
            for (Level level = Level.PGD; level != Level.PTE; level = Level.values()[level.ordinal() - 1]) {
                if (m.read(t.allocated) == 0) {
                    m.violate(Kinds.PGTABLE_UAF, "hardware walk of " + what + " read freed " + t.name());
                }
                long e = m.read(t.entrySlot(level.index(addr)));
                if (!Pgtable.present(e)) {
                    return FAULT;
                }
                t = k.table(Pgtable.tableId(e));
            }
            if (m.read(t.allocated) == 0) {
                m.violate(Kinds.PGTABLE_UAF, "hardware walk of " + what + " read freed " + t.name());
            }
            int slot = t.entrySlot(Level.PTE.index(addr));
            long pte = m.read(slot);
            if (!Pgtable.present(pte) || (pte & Pgtable.PROTNONE) != 0 || (write && (pte & Pgtable.WRITE) == 0)) {
                return FAULT;
            }
            long set = Pgtable.YOUNG | (write ? Pgtable.DIRTY : 0);
            if ((pte & set) != set) {
                m.write(slot, pte | set);
            }
            int pfn = Pgtable.pfn(pte);
            Page page = pfn == Pgtable.ZERO_PFN ? null : k.page(pfn);
            if (page != null && m.read(page.allocated) == 0) {
                m.violate(Kinds.STALE_TLB, "CPU" + k.cpu() + " " + what + " reached freed pfn " + pfn + " through a present pte");
            }
            if (tlb != null) {
                int e = tlb.entry(addr);
                long old = m.read(e);
                if (Tlb.valid(old)) {
                    k.tlbReach.count(m, Tlb.pfn(old), -1); // replaced
                }
                m.write(e, Tlb.pack(mm.id, addr, pfn));
                k.tlbReach.count(m, pfn, 1);
            }
            return pfn;
        }, r -> r == FAULT ? "page fault" : "pfn " + r);
    }

}
