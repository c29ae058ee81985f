package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;

/** mm/madvise.c: madvise(MADV_DONTNEED), the only advice modelled. */
public final class Madvise {
    public static final int MADV_DONTNEED = 4;
    private static final long EINVAL = -22;
    private static final long ENOMEM = -12;
    private final Kernel k;

    public Madvise(Kernel k) {
        this.k = k;
    }

    /**
     * do_madvise: start must be page aligned and the range must not wrap (EINVAL); length 0 is a
     * no-op. Each vma of the range in turn: MADV_DONTNEED refuses a VM_LOCKED one (EINVAL, stopping
     * there: the vmas before it are already zapped) and zaps the others' pages; unmapped parts are
     * skipped and reported at the end (ENOMEM).
     */
    @Mirrors(value = "do_madvise", file = "mm/madvise.c", version = "6.x")
    public long sysMadvise(long start, long len, int advice) {
        if (advice != MADV_DONTNEED || (start & (Pgtable.PAGE_SIZE - 1)) != 0) {
            return EINVAL;
        }
        long plen = Mmap.pageAlign(len);
        if (len != 0 && plen == 0) {
            return EINVAL;
        }
        long end = start + plen;
        if (Long.compareUnsigned(end, start) < 0) {
            return EINVAL;
        }
        if (end == start) {
            return 0;
        }
        MmStruct mm = k.currentMm();
        mm.mmapLock.downRead();
        long unmappedError = 0;
        long error = 0;
        for (long a = start; Long.compareUnsigned(a, end) < 0; ) {
            Vma vma = k.mmap.findVma(mm, a);
            if (vma == null) {
                unmappedError = ENOMEM;
                break;
            }
            long vs = k.mmap.readStart(vma);
            if (Long.compareUnsigned(vs, end) >= 0) {
                unmappedError = ENOMEM;
                break;
            }
            if (a < vs) {
                unmappedError = ENOMEM;
                a = vs;
            }
            long ve = k.mmap.readEnd(vma);
            long to = Long.compareUnsigned(ve, end) > 0 ? end : ve;
            error = madviseDontneed(mm, vma, a, to);
            if (error != 0) {
                break;
            }
            a = to;
        }
        mm.mmapLock.upRead();
        return error != 0 ? error : unmappedError;
    }

    /** madvise_dontneed_single_vma: not on a VM_LOCKED vma (can_madv_lru_vma); zap_page_range_single. */
    @Mirrors(value = "madvise_dontneed_free", file = "mm/madvise.c", version = "6.x")
    long madviseDontneed(MmStruct mm, Vma vma, long start, long end) {
        if ((vma.readFlags() & VmFlags.VM_LOCKED) != 0) {
            return EINVAL;
        }
        MmMemory.MmuGather tlb = k.memoryC.tlbGatherMmu(mm);
        k.memoryC.unmapPageRange(tlb, vma, start, end);
        k.memoryC.tlbFinishMmu(tlb);
        return 0;
    }
}
