package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.engine.ModelError;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;

/**
 * mm/mmap.c: the vma list (mm->mmap, sorted, linked by vm_next), mapping, copy_vma for mremap, and
 * munmap. Callers hold mmap_lock for write when they change the list, so a walk of the list under
 * the lock is one step.
 */
public final class Mmap {
    private final Kernel k;

    public Mmap(Kernel k) {
        this.k = k;
    }

    public long readStart(Vma vma) {
        return k.load(vma.name() + "->vm_start", m -> m.read(vma.start), Pgtable::hex);
    }

    public long readEnd(Vma vma) {
        return k.load(vma.name() + "->vm_end", m -> m.read(vma.end), Pgtable::hex);
    }

    /** find_vma: the first vma with vm_end above addr, or null. */
    @Mirrors(value = "find_vma", file = "mm/mmap.c", version = "5.12.9")
    public Vma findVma(MmStruct mm, long addr) {
        long r = k.load("find_vma(" + mm.name() + ", " + Pgtable.hex(addr) + ")", m -> {
            for (long v = m.read(mm.mmap); v != 0; v = m.read(k.vma((int) v - 1).next)) {
                if (m.read(k.vma((int) v - 1).end) > addr) {
                    return v;
                }
            }
            return 0;
        }, r2 -> r2 == 0 ? "NULL" : "V" + (r2 - 1));
        return r == 0 ? null : k.vma((int) r - 1);
    }

    /** The vma ending at or before addr whose successor would be a vma at addr (find_vma_prev), or null. */
    private long prevOf(Memory m, MmStruct mm, long addr) {
        long prev = 0;
        for (long v = m.read(mm.mmap); v != 0; v = m.read(k.vma((int) v - 1).next)) {
            if (m.read(k.vma((int) v - 1).start) >= addr) {
                break;
            }
            prev = v;
        }
        return prev;
    }

    /** vm_area_alloc + the fields set by its caller: a detached vma. */
    @Mirrors(value = "vm_area_alloc", file = "kernel/fork.c", version = "5.12.9")
    public Vma vmAreaAlloc(MmStruct mm, long start, long end, long pgoff, long flags, long anonVma) {
        int id = (int) k.load("vm_area_alloc()", m -> {
            for (int i = 0; i < k.vmaCount(); i++) {
                Vma v = k.vma(i);
                if (m.read(v.allocated) == 0) {
                    m.write(v.allocated, 1);
                    m.write(v.mm, mm.id + 1);
                    m.write(v.start, start);
                    m.write(v.end, end);
                    m.write(v.pgoff, pgoff);
                    m.write(v.flags, flags);
                    m.write(v.anonVma, anonVma);
                    return i;
                }
            }
            return -1;
        }, r -> "V" + r);
        if (id < 0) {
            throw new ModelError("the model ran out of vmas: raise the scenario's 'vmas' size", null);
        }
        return k.vma(id);
    }

    /** vma_link: insert into mm->mmap in address order (and into i_mmap for a file, not modelled yet). */
    @Mirrors(value = "vma_link", file = "mm/mmap.c", version = "5.12.9")
    public void vmaLink(MmStruct mm, Vma vma) {
        k.step("__vma_link_list(" + mm.name() + ", " + vma.name() + ")", null, m -> {
            long prev = prevOf(m, mm, m.read(vma.start));
            int head = prev == 0 ? mm.mmap : k.vma((int) prev - 1).next;
            m.write(vma.next, m.read(head));
            m.write(head, vma.id + 1);
            m.write(mm.mapCount, m.read(mm.mapCount) + 1);
            return 0;
        });
    }

    /** mmap of an anonymous private range at a fixed address (set-up and user programs). */
    @Mirrors(value = "mmap_region", file = "mm/mmap.c", version = "5.12.9")
    public Vma mmapRegion(MmStruct mm, long addr, long len, long vmFlags) {
        Vma vma = vmAreaAlloc(mm, addr, addr + len, addr >>> Pgtable.PAGE_SHIFT, vmFlags | VmFlags.VM_READ, 0);
        vmaLink(mm, vma);
        return vma;
    }

    /** What copy_vma hands back to move_vma. */
    public record Copied(Vma vma, boolean needRmapLocks) {}

    /**
     * copy_vma: a new vma for the moved range. The model's destinations never adjoin a vma they
     * could merge with, so this is the vm_area_dup branch: a fresh vma, linked into the same
     * anon_vma after the old one, so need_rmap_locks = false.
     */
    @Mirrors(value = "copy_vma", file = "mm/mmap.c", version = "5.12.9")
    public Copied copyVma(Vma vma, long addr, long len, long pgoff) {
        MmStruct mm = vma.readMm();
        if (mergeCandidate(mm, addr, len)) {
            throw new ModelError("mremap destination " + Pgtable.hex(addr) + " adjoins a vma: vma_merge is not modelled", null);
        }
        long flags = vma.readFlags();
        long anon = k.load(vma.name() + "->anon_vma", m -> m.read(vma.anonVma), r -> r == 0 ? "NULL" : "anon_vma" + (r - 1));
        Vma nw = vmAreaAlloc(mm, addr, addr + len, pgoff, flags, anon);
        k.rmap.anonVmaClone(nw, anon);
        vmaLink(mm, nw);
        return new Copied(nw, false);
    }

    private boolean mergeCandidate(MmStruct mm, long addr, long len) {
        return k.load("vma_merge candidates at " + Pgtable.hex(addr) + "?", m -> {
            for (long v = m.read(mm.mmap); v != 0; v = m.read(k.vma((int) v - 1).next)) {
                Vma o = k.vma((int) v - 1);
                if (m.read(o.end) == addr || m.read(o.start) == addr + len) {
                    return 1;
                }
            }
            return 0;
        }, Kernel::yesNo) == 1;
    }

    /**
     * do_munmap of exactly one whole vma (splitting is not modelled): detach it, zap and free its
     * page tables, free the vma.
     */
    @Mirrors(value = "__do_munmap", file = "mm/mmap.c", version = "5.12.9")
    public void doMunmap(MmStruct mm, long start, long len) {
        long end = start + len;
        Vma vma = findVma(mm, start);
        if (vma == null || readStart(vma) >= end) {
            return;
        }
        if (readStart(vma) != start || readEnd(vma) != end) {
            throw new ModelError("munmap of part of a vma: vma splitting is not modelled", null);
        }
        long[] neighbours = detachVmasToBeUnmapped(mm, vma);
        unmapRegion(mm, vma, start, end, neighbours[0], neighbours[1]);
        removeVma(vma);
    }

    /** Unlinks vma from mm->mmap; returns {prev's vm_end or 0, next's vm_start or 0}. */
    @Mirrors(value = "detach_vmas_to_be_unmapped", file = "mm/mmap.c", version = "5.12.9")
    long[] detachVmasToBeUnmapped(MmStruct mm, Vma vma) {
        long packed = k.load("detach_vmas_to_be_unmapped(" + vma.name() + ")", m -> {
            long prev = prevOf(m, mm, m.read(vma.start));
            int head = prev == 0 ? mm.mmap : k.vma((int) prev - 1).next;
            long next = m.read(vma.next);
            m.write(head, next);
            m.write(vma.next, 0);
            m.write(mm.mapCount, m.read(mm.mapCount) - 1);
            return (prev << 8) | next;
        }, r -> "prev " + name(r >>> 8) + ", next " + name(r & 0xff));
        long prev = packed >>> 8;
        long next = packed & 0xff;
        long floor = prev == 0 ? 0 : readEnd(k.vma((int) prev - 1));
        long ceiling = next == 0 ? 0 : readStart(k.vma((int) next - 1));
        return new long[] {floor, ceiling};
    }

    private static String name(long v) {
        return v == 0 ? "NULL" : "V" + (v - 1);
    }

    @Mirrors(value = "unmap_region", file = "mm/mmap.c", version = "5.12.9")
    void unmapRegion(MmStruct mm, Vma vma, long start, long end, long floor, long ceiling) {
        MmMemory.MmuGather tlb = k.memoryC.tlbGatherMmu(mm);
        k.memoryC.unmapPageRange(tlb, vma, start, end);
        freePgtables(tlb, vma, floor, ceiling);
        k.memoryC.tlbFinishMmu(tlb);
    }

    /** free_pgtables for one vma: unhook it from the rmap first, then free its tables. */
    @Mirrors(value = "free_pgtables", file = "mm/memory.c", version = "5.12.9")
    void freePgtables(MmMemory.MmuGather tlb, Vma vma, long floor, long ceiling) {
        long start = readStart(vma);
        long end = readEnd(vma);
        k.rmap.unlinkAnonVmas(vma);
        k.memoryC.freePgdRange(tlb, start, end, floor, ceiling);
    }

    @Mirrors(value = "remove_vma", file = "mm/mmap.c", version = "5.12.9")
    void removeVma(Vma vma) {
        k.step("vm_area_free(" + vma.name() + ")", null, m -> {
            m.write(vma.allocated, 0);
            m.write(vma.mm, 0);
            m.write(vma.start, 0);
            m.write(vma.end, 0);
            m.write(vma.pgoff, 0);
            m.write(vma.flags, 0);
            m.write(vma.anonVma, 0);
            m.write(vma.file, 0);
            return 0;
        });
    }

}
