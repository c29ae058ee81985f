package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.ModelError;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.AddressSpace;
import dev.mmcheck.mm.types.AnonVma;
import dev.mmcheck.mm.types.Entry;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.SpinLock;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;

/**
 * kernel/fork.c: fork's copy of the address space (dup_mmap), with anon_vma_fork (mm/rmap.c) and
 * copy_page_range (mm/memory.c). The child's vmas are never VM_LOCKED and its locked_vm and
 * def_flags start at zero (mlock is not inherited); a private mapping's pages are shared
 * copy-on-write, write-protected in both; a vma without an anon_vma (shared, or private and never
 * written) is not copied at all: the child faults its pages in (vma_needs_copy).
 */
public final class Fork {
    private final Kernel k;

    public Fork(Kernel k) {
        this.k = k;
    }

    /** fork(): the current process's address space copied into {@code child} (an empty mm). Returns 0. */
    @Mirrors(value = "dup_mmap", file = "kernel/fork.c", version = "6.x")
    public long sysFork(MmStruct child) {
        MmStruct mm = k.currentMm();
        mm.mmapLock.downWrite();
        child.mmapLock.downWrite();
        k.step("mm_init(" + child.name() + ")", null, m -> {
            m.write(child.lockedVm, 0);
            m.write(child.defFlags, 0);
            m.write(child.users, 1);
            m.write(child.count, 1);
            m.write(child.taskMm, 1);
            return 0;
        });
        for (Vma vma = k.mmap.findVma(mm, 0); vma != null; vma = k.mmap.next(vma)) {
            Vma tmp = k.vmaSplit.vmAreaDup(vma);
            k.step(tmp.name() + "->vm_mm = " + child.name() + "; vm_flags &= ~VM_LOCKED_MASK", null, m -> {
                m.write(tmp.mm, child.id + 1);
                m.write(tmp.flags, m.read(tmp.flags) & ~VmFlags.VM_LOCKED_MASK);
                m.write(tmp.anonVma, 0);
                return 0;
            });
            anonVmaFork(tmp, vma);
            AddressSpace mapping = k.vmaSplit.mappingOf(tmp);
            if (mapping != null) {
                mapping.iMmapRwsem.downWrite();
                k.step("vma_interval_tree_insert_after(" + tmp.name() + ", " + vma.name() + ")", null, m -> {
                    Rmap.insert(m, mapping.iMmap, tmp, mapping.name() + ".i_mmap");
                    return 0;
                });
                mapping.iMmapRwsem.upWrite();
            }
            k.vmaSplit.linkList(child, tmp);
            copyPageRange(child, tmp, mm, vma);
        }
        child.mmapLock.upWrite();
        mm.mmapLock.upWrite();
        return 0;
    }

    /**
     * anon_vma_fork: the child's vma joins every anon_vma of the parent's (so rmap walks of the
     * shared pages find it), then gets an anon_vma of its own for the pages it will COW.
     */
    @Mirrors(value = "anon_vma_fork", file = "mm/rmap.c", version = "6.x")
    void anonVmaFork(Vma vma, Vma pvma) {
        long parent = k.load(pvma.name() + "->anon_vma", m -> m.read(pvma.anonVma), Rmap::anonName);
        if (parent == 0) {
            return;
        }
        k.vmaSplit.anonVmaClone(vma, pvma, parent);
        AnonVma av = k.rmap.anonVmaAlloc();
        av.rootRwsem().downWrite();
        k.step(vma.name() + "->anon_vma = " + av.name() + "; anon_vma_chain_link", null, m -> {
            m.write(vma.anonVma, av.id + 1);
            Rmap.insert(m, av.chain, vma, av.name());
            return 0;
        });
        av.rootRwsem().upWrite();
    }

    /**
     * copy_page_range: when the parent's vma has an anon_vma, every present pte is copied: the page
     * gets one more reference and mapping (the zero page none), and for a private writable vma
     * both ptes are write-protected (copy-on-write).
     */
    @Mirrors(value = "copy_page_range", file = "mm/memory.c", version = "6.x")
    void copyPageRange(MmStruct dst, Vma dstVma, MmStruct src, Vma srcVma) {
        long anon = k.load(srcVma.name() + "->anon_vma", m -> m.read(srcVma.anonVma), Rmap::anonName);
        if (anon == 0) {
            return; // vma_needs_copy: faults will fill the child's ptes
        }
        long flags = srcVma.readFlags();
        boolean cow = (flags & VmFlags.VM_SHARED) == 0;
        long start = k.mmap.readStart(srcVma);
        long end = k.mmap.readEnd(srcVma);
        for (long a = start; a < end; a += Pgtable.PAGE_SIZE) {
            Entry spmd = k.gup.pmdOf(src, a);
            if (spmd == null) {
                a = ((a & ~(Pgtable.PMD_SIZE - 1)) + Pgtable.PMD_SIZE) - Pgtable.PAGE_SIZE;
                continue;
            }
            Entry dpud = k.memoryC.pudAlloc(dst, k.memoryC.pgdOffset(dst, a), a);
            Entry dpmd = k.memoryC.pmdAlloc(dst, dpud, a);
            if (Pgtable.none(dpmd.read("pte_alloc: pmd_none(*dst_pmd)?"))) {
                k.memoryC.pteAlloc(dst, dpmd);
            }
            SpinLock[] dptl = new SpinLock[1];
            Entry dpte = k.memoryC.pteOffsetMapLock(dst, dpmd, a, dptl);
            SpinLock[] sptl = new SpinLock[1];
            Entry spte = k.memoryC.pteOffsetMapLock(src, spmd, a, sptl);
            long v = spte.read("copy_present_pte: *src_pte");
            if (!Pgtable.none(v)) {
                if (!Pgtable.present(v)) {
                    throw new ModelError("fork of a swapped-out page is not modelled", null);
                }
                if (cow && (v & Pgtable.WRITE) != 0) {
                    v &= ~Pgtable.WRITE;
                    spte.write(v, "ptep_set_wrprotect(" + Pgtable.hex(a) + ")");
                }
                if (!Pgtable.isZero(v)) {
                    Page page = k.page(Pgtable.pfn(v));
                    k.step("folio_get + folio_dup_rmap(" + page.name() + ")", null, m -> {
                        m.add(page.refcount, 1);
                        m.add(page.mapcount, 1);
                        return 0;
                    });
                }
                long pte = v & ~Pgtable.YOUNG;
                dpte.write(pte, "set_pte_at(" + dst.name() + ", " + Pgtable.hex(a) + ", " + Pgtable.pteString(pte) + ")");
            }
            sptl[0].unlock(); // dst and src are different mms: different locks
            dptl[0].unlock();
        }
        if (cow) {
            k.tlbFlush.flushTlbRange(srcVma, start, end);
        }
    }
}
