package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.mm.types.Entry;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.SpinLock;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;

/**
 * mm/mprotect.c: the mprotect system call (do_mprotect_pkey), mprotect_fixup (splitting and merging
 * vmas, VM_ACCOUNT, and the COW populate of a private VM_LOCKED vma made writable) and
 * change_protection.
 */
public final class Mprotect {
    private static final long EINVAL = -22;
    private static final long ENOMEM = -12;
    private final Kernel k;

    public Mprotect(Kernel k) {
        this.k = k;
    }

    /**
     * do_mprotect_pkey: start must be page aligned (EINVAL); length 0 is a no-op; an overflowing
     * range is ENOMEM; every vma of the range in turn gets the new protection, and a hole is ENOMEM
     * (what came before it keeps its new protection).
     */
    @Mirrors(value = "do_mprotect_pkey", file = "mm/mprotect.c", version = "6.x")
    public long sysMprotect(long start, long len, int prot) {
        if ((start & (Pgtable.PAGE_SIZE - 1)) != 0) {
            return EINVAL;
        }
        if (len == 0) {
            return 0;
        }
        len = Mmap.pageAlign(len);
        long end = start + len;
        if (Long.compareUnsigned(end, start) <= 0) {
            return ENOMEM;
        }
        MmStruct mm = k.currentMm();
        mm.mmapLock.downWrite();
        Vma vma = k.mmap.findVma(mm, start);
        long vs = vma == null ? 0 : k.mmap.readStart(vma);
        if (vma == null || Long.compareUnsigned(vs, end) >= 0 || vs > start) {
            mm.mmapLock.upWrite();
            return ENOMEM;
        }
        long nstart = start;
        long tmp = vs;
        long error = 0;
        while (vma != null && Long.compareUnsigned(vs, end) < 0) {
            if (vs != tmp) {
                error = ENOMEM;
                break;
            }
            long oldflags = vma.readFlags();
            long newflags = Mmap.protBits(prot) | (oldflags & ~(VmFlags.VM_READ | VmFlags.VM_WRITE));
            long vend = k.mmap.readEnd(vma);
            long to = Long.compareUnsigned(vend, end) > 0 ? end : vend;
            Vma fixed = mprotectFixup(mm, vma, nstart, to, oldflags, newflags);
            tmp = k.mmap.readEnd(fixed);
            nstart = tmp;
            vma = k.mmap.findVma(mm, tmp);
            vs = vma == null ? 0 : k.mmap.readStart(vma);
        }
        if (error == 0 && Long.compareUnsigned(tmp, end) < 0) {
            error = ENOMEM;
        }
        mm.mmapLock.upWrite();
        return error;
    }

    /**
     * mprotect_fixup: making a private mapping writable charges it (VM_ACCOUNT); making an anonymous
     * one that never had a page unwritable uncharges it; [start, end) is split off and merged with
     * its neighbours (vma_modify_flags); the ptes change (change_protection); a private VM_LOCKED
     * vma made writable is populated at once, breaking COW (4.6+). Returns the vma covering the range.
     */
    @Mirrors(value = "mprotect_fixup", file = "mm/mprotect.c", version = "6.x")
    Vma mprotectFixup(MmStruct mm, Vma vma, long start, long end, long oldflags, long newflags) {
        if (newflags == oldflags) {
            return vma;
        }
        if ((newflags & VmFlags.VM_WRITE) != 0) {
            if ((oldflags & (VmFlags.VM_ACCOUNT | VmFlags.VM_WRITE | VmFlags.VM_SHARED)) == 0) {
                newflags |= VmFlags.VM_ACCOUNT;
            }
        } else if ((oldflags & VmFlags.VM_ACCOUNT) != 0 && k.vmaSplit.isAnonymous(vma)
                && k.load(vma.name() + "->anon_vma", m -> m.read(vma.anonVma), Rmap::anonName) == 0) {
            newflags &= ~VmFlags.VM_ACCOUNT;
        }
        if (newflags == oldflags) {
            return vma;
        }
        long flags = newflags;
        Vma target;
        if (k.has(Patch.MLOCK_COUNT)) {
            target = k.vmaSplit.vmaModifyFlags(vma, start, end, flags);
        } else {
            if (start != k.mmap.readStart(vma)) {
                k.vmaSplit.splitVma(vma, start, true);
            }
            if (end != k.mmap.readEnd(vma)) {
                k.vmaSplit.splitVma(vma, end, false);
            }
            k.mmap.writeVmFlags(vma, flags, "vma->vm_flags = newflags");
            target = vma;
        }
        changeProtection(mm, target, start, end, oldflags, flags);
        if (!k.has(Patch.MLOCK_COUNT) && k.vmaSplit.hasMergeCandidate(mm, target)) {
            target = k.vmaSplit.mergeNeighbours(mm, target);
        }
        if (k.has(Patch.MPROTECT_LOCKED_POPULATE)
                && (oldflags & (VmFlags.VM_WRITE | VmFlags.VM_SHARED | VmFlags.VM_LOCKED)) == VmFlags.VM_LOCKED
                && (flags & VmFlags.VM_WRITE) != 0) {
            Vma t = k.vmaSplit.vmaLookup(mm, start);
            k.gup.populateVmaPageRange(t, start, end);
        }
        return target;
    }

    /**
     * change_protection: losing VM_WRITE write-protects the present ptes (then the TLB is flushed);
     * PROT_NONE makes them inaccessible (still present, as pagemap shows them), and any other
     * protection makes them accessible again. Gaining write leaves them read-only: the next write
     * fault makes them writable.
     */
    @Mirrors(value = "change_protection", file = "mm/mprotect.c", version = "6.x")
    void changeProtection(MmStruct mm, Vma vma, long start, long end, long oldflags, long newflags) {
        boolean none = (newflags & (VmFlags.VM_READ | VmFlags.VM_WRITE)) == 0;
        boolean wasNone = (oldflags & (VmFlags.VM_READ | VmFlags.VM_WRITE)) == 0;
        if (!none && !wasNone) {
            if ((newflags & VmFlags.VM_WRITE) == 0 && (oldflags & VmFlags.VM_WRITE) != 0) {
                k.memoryC.changeProtection(mm, vma, start, end);
            }
            return;
        }
        for (long a = start; a < end; a += Pgtable.PAGE_SIZE) {
            Entry pmd = k.gup.pmdOf(mm, a);
            if (pmd == null) {
                continue;
            }
            SpinLock[] ptl = new SpinLock[1];
            Entry pte = k.memoryC.pteOffsetMapLock(mm, pmd, a, ptl);
            long v = pte.read("*pte");
            if (Pgtable.present(v)) {
                long nv = none ? (v & ~Pgtable.WRITE) | Pgtable.PROTNONE : v & ~Pgtable.PROTNONE & ~((newflags & VmFlags.VM_WRITE) == 0 ? Pgtable.WRITE : 0);
                if (nv != v) {
                    pte.write(nv, "ptep_modify_prot_commit(" + Pgtable.hex(a) + ", " + (none ? "PROT_NONE" : "accessible") + ")");
                }
            }
            ptl[0].unlock();
        }
        k.tlbFlush.flushTlbRange(vma, start, end);
    }
}
