package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Tlb;
import dev.mmcheck.mm.types.Vma;

/** TLB shootdown: removes an mm's entries for a range from every CPU's TLB, in one step. */
public final class TlbFlush {
    private final Kernel k;

    public TlbFlush(Kernel k) {
        this.k = k;
    }

    @Mirrors(value = "flush_tlb_range", file = "arch/x86/mm/tlb.c", version = "5.12.9")
    public void flushTlbRange(Vma vma, long start, long end) {
        int mm = vma.readMm().id;
        k.step("flush_tlb_range(" + vma.name() + ", " + Pgtable.hex(start) + ", " + Pgtable.hex(end) + ")", null, m -> {
            for (Tlb tlb : k.tlbs()) {
                tlb.forEachEntry(start, end, e -> {
                    long v = m.read(e);
                    if (Tlb.valid(v) && Tlb.mm(v) == mm && Tlb.vaddr(v) >= start && Tlb.vaddr(v) < end) {
                        m.write(e, 0);
                        k.tlbReach.count(m, Tlb.pfn(v), -1);
                    }
                });
            }
            return 0;
        });
    }

    @Mirrors(value = "flush_tlb_page", file = "include/asm-generic/tlbflush.h", version = "5.12.9")
    public void flushTlbPage(Vma vma, long address) {
        flushTlbRange(vma, address, address + Pgtable.PAGE_SIZE);
    }
}
