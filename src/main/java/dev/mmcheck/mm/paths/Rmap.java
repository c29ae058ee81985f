package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.ModelError;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.mm.types.AddressSpace;
import dev.mmcheck.mm.types.AnonVma;
import dev.mmcheck.mm.types.Entry;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.SpinLock;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;
import java.util.ArrayList;
import java.util.List;

/**
 * mm/rmap.c: the reverse maps (anon_vma chains, the file's i_mmap) and the walks over them:
 * try_to_unmap with try_to_unmap_one (3.16 / 4.4 / 5.12 forms), try_to_munlock, page_mlock
 * (5.14+, seed 002), page_referenced, and the nonlinear cluster scan of 3.13 / 3.16.
 */
public final class Rmap {
    public static final int TTU_UNMAP = 0x1;
    public static final int TTU_MIGRATION = 0x2;
    public static final int TTU_IGNORE_MLOCK = 0x8;
    public static final int TTU_MUNLOCK = 0x10;
    public static final int TTU_BATCH_FLUSH = 0x40;

    /** The 3.x return codes of try_to_unmap and its rmap_one. */
    public static final int SWAP_SUCCESS = 0;
    public static final int SWAP_AGAIN = 1;
    public static final int SWAP_FAIL = 2;
    public static final int SWAP_MLOCK = 3;

    private static final long CLUSTER_SIZE = 32 * Pgtable.PAGE_SIZE;

    private final Kernel k;

    public Rmap(Kernel k) {
        this.k = k;
    }

    // ---- building the reverse map ---------------------------------------------------------------

    /** anon_vma_prepare: give a vma its anon_vma on the first anonymous fault. */
    @Mirrors(value = "__anon_vma_prepare", file = "mm/rmap.c", version = "5.12.9")
    public void anonVmaPrepare(Vma vma) {
        if (k.load(vma.name() + "->anon_vma", m -> m.read(vma.anonVma), Rmap::anonName) != 0) {
            return;
        }
        AnonVma anonVma = anonVmaAlloc();
        MmStruct mm = vma.readMm();
        anonVma.rootRwsem().downWrite();
        mm.pageTableLock.lock();
        boolean installed = k.load("if (!vma->anon_vma) vma->anon_vma = " + anonVma.name(), m -> {
            if (m.read(vma.anonVma) != 0) {
                return 0;
            }
            m.write(vma.anonVma, anonVma.id + 1);
            return 1;
        }, Kernel::yesNo) == 1;
        if (installed) {
            anonVmaChainLink(vma, anonVma);
        }
        mm.pageTableLock.unlock();
        anonVma.rootRwsem().upWrite();
    }

    /** anon_vma_alloc: a free anon_vma from the pool. */
    AnonVma anonVmaAlloc() {
        int id = (int) k.load("anon_vma_alloc()", m -> {
            for (int i = 0; i < k.anonVmaCount(); i++) {
                AnonVma a = k.anonVma(i);
                if (m.read(a.allocated) == 0) {
                    m.write(a.allocated, 1);
                    return i;
                }
            }
            return -1;
        }, r -> "anon_vma" + r);
        if (id < 0) {
            throw new ModelError("the model ran out of anon_vmas: raise the scenario's 'anon-vmas' size", null);
        }
        return k.anonVma(id);
    }

    /** anon_vma_chain_link: append vma to the anon_vma's tree (caller holds its rwsem for write). */
    @Mirrors(value = "anon_vma_chain_link", file = "mm/rmap.c", version = "5.12.9")
    void anonVmaChainLink(Vma vma, AnonVma anonVma) {
        k.step("anon_vma_interval_tree_insert(" + vma.name() + ", " + anonVma.name() + ")", null, m -> {
            insert(m, anonVma.chain, vma, anonVma.name());
            return 0;
        });
    }

    static void insert(dev.mmcheck.engine.Memory m, int[] chain, Vma vma, String where) {
        for (int slot : chain) {
            if (m.read(slot) == 0) {
                m.write(slot, vma.id + 1);
                return;
            }
        }
        throw new ModelError(where + " has no room for another vma", null);
    }

    /** Removes vma and closes the gap, so the chain stays in insertion order (equal keys go right in the tree). */
    static void remove(dev.mmcheck.engine.Memory m, int[] chain, Vma vma) {
        int w = 0;
        for (int slot : chain) {
            long v = m.read(slot);
            if (v != 0 && v != vma.id + 1) {
                m.write(chain[w++], v);
            }
        }
        for (; w < chain.length; w++) {
            m.write(chain[w], 0);
        }
    }

    /** anon_vma_clone: link dst into every anon_vma of the source (one level: fork is not modelled). */
    @Mirrors(value = "anon_vma_clone", file = "mm/rmap.c", version = "5.12.9")
    public void anonVmaClone(Vma dst, long srcAnonVma) {
        if (srcAnonVma == 0) {
            return;
        }
        AnonVma anonVma = k.anonVma((int) srcAnonVma - 1);
        anonVma.rootRwsem().downWrite();
        anonVmaChainLink(dst, anonVma);
        anonVma.rootRwsem().upWrite();
    }

    /** unlink_anon_vmas: take the vma out of its anon_vma's tree, so rmap walks no longer find it. */
    @Mirrors(value = "unlink_anon_vmas", file = "mm/rmap.c", version = "5.12.9")
    public void unlinkAnonVmas(Vma vma) {
        long av = k.load(vma.name() + "->anon_vma", m -> m.read(vma.anonVma), Rmap::anonName);
        if (av == 0) {
            return;
        }
        AnonVma anonVma = k.anonVma((int) av - 1);
        anonVma.rootRwsem().downWrite();
        k.step("anon_vma_interval_tree_remove(" + vma.name() + ", " + anonVma.name() + ")", null, m -> {
            remove(m, anonVma.chain, vma);
            return 0;
        });
        anonVma.rootRwsem().upWrite();
    }

    /** page_add_new_anon_rmap: a new page's first mapping (nobody else can see the page yet). */
    @Mirrors(value = "page_add_new_anon_rmap", file = "mm/rmap.c", version = "5.12.9")
    public void pageAddNewAnonRmap(Page page, Vma vma, long address) {
        k.step("page_add_new_anon_rmap(" + page.name() + ", " + vma.name() + ", " + Pgtable.hex(address) + ")", null, m -> {
            page.set(m, PageFlags.bit(PageFlags.PG_swapbacked));
            m.write(page.mapcount, 1);
            m.write(page.mapping, Page.MAPPING_ANON | m.read(vma.anonVma));
            m.write(page.index, linearPageIndex(m.read(vma.start), m.read(vma.pgoff), address));
            return 0;
        });
    }

    /** page_add_anon_rmap for a page that may already be mapped elsewhere (swap-in). */
    @Mirrors(value = "page_add_anon_rmap", file = "mm/rmap.c", version = "5.12.9")
    public void pageAddAnonRmap(Page page, Vma vma, long address) {
        k.step("page_add_anon_rmap(" + page.name() + ", " + vma.name() + ", " + Pgtable.hex(address) + ")", null, m -> {
            if (m.signAndAdd(page.mapcount, 1) == 0) {
                m.write(page.mapping, Page.MAPPING_ANON | m.read(vma.anonVma));
                m.write(page.index, linearPageIndex(m.read(vma.start), m.read(vma.pgoff), address));
            }
            return 0;
        });
    }

    /** page_add_file_rmap: one more pte maps this page-cache page. */
    @Mirrors(value = "page_add_file_rmap", file = "mm/rmap.c", version = "3.16")
    public void pageAddFileRmap(Page page) {
        k.step("page_add_file_rmap(" + page.name() + ")", null, m -> {
            m.add(page.mapcount, 1);
            return 0;
        });
    }

    /** page_remove_rmap: drop one mapping; the last one clears PG_mlocked (clear_page_mlock). Pte lock held. */
    @Mirrors(value = "page_remove_rmap", file = "mm/rmap.c", version = "3.16")
    public void pageRemoveRmap(Page page) {
        boolean last = k.load("atomic_add_negative(-1, &" + page.name() + "->_mapcount)", m -> {
            int sign = m.addAndSign(page.mapcount, -1);
            if (sign < 0) {
                // zap_pte_range's print_bad_pte: the only step that lowers a mapcount checks it
                m.violate(Kinds.BAD_PAGE, "BUG: Bad page map: pfn " + page.pfn + " has page_mapcount " + m.peek(page.mapcount));
            }
            return sign == 0 ? 1 : 0;
        }, r -> r == 1 ? "last mapping gone" : "still mapped") == 1;
        if (!last || k.has(Patch.MLOCK_COUNT)) {
            return; // 5.18+: no clear_page_mlock; the caller munlocks if the vma is VM_LOCKED (munlock_vma_folio)
        }
        if (page.testFlag(PageFlags.PG_mlocked)) {
            k.mlock.clearPageMlock(page);
        }
    }

    static long linearPageIndex(long vmStart, long vmPgoff, long address) {
        return ((address - vmStart) >>> Pgtable.PAGE_SHIFT) + vmPgoff;
    }

    // ---- walking it --------------------------------------------------------------------------------

    /** rmap_walk_control's rmap_one: returns SWAP_AGAIN to go on to the next vma, anything else stops. */
    @FunctionalInterface
    interface RmapOne {
        int apply(Page page, Vma vma, long address);
    }

    /** rmap_walk: through the anon_vma or the file's i_mmap; stops at a non-SWAP_AGAIN or once unmapped. */
    @Mirrors(value = "rmap_walk", file = "mm/rmap.c", version = "3.16")
    int rmapWalk(Page page, RmapOne rmapOne, boolean doneWhenUnmapped, boolean nonlinear, int flags) {
        long mapping = page.readMapping();
        if ((mapping & Page.MAPPING_ANON) != 0) {
            return rmapWalkAnon(page, mapping, rmapOne, doneWhenUnmapped);
        }
        if (mapping == 0) {
            return SWAP_AGAIN;
        }
        return rmapWalkFile(page, k.file((int) (mapping & ~Page.MAPPING_FILE) - 1), rmapOne, doneWhenUnmapped, nonlinear, flags);
    }

    /** rwc->rmap_one for one vma; how it went there is forgotten once it returned (its code). */
    private int rmapOne(RmapOne rmapOne, Page page, Vma vma, long address) {
        return (int) k.summarized("rmap_one", () -> rmapOne.apply(page, vma, address));
    }

    /**
     * page_lock_anon_vma_read: the page's anon_vma, read-locked, or null if the page is no longer
     * mapped. Whether the trylock got it or the CPU slept for it is forgotten once it returns.
     */
    @Mirrors(value = "page_lock_anon_vma_read", file = "mm/rmap.c", version = "5.12.9")
    AnonVma pageLockAnonVmaRead(Page page, long mapping, boolean mustBeMapped) {
        AnonVma anonVma = k.anonVma((int) (mapping & ~Page.MAPPING_ANON) - 1);
        if (!mustBeMapped) { // rmap_walk_anon_lock: remove_migration_ptes walks a page not mapped yet
            anonVma.rootRwsem().downRead();
            return anonVma;
        }
        long locked = k.summarized("page_lock_anon_vma_read", () -> {
            if (!page.mapped()) {
                return 0;
            }
            if (anonVma.rootRwsem().downReadTrylock()) {
                if (!page.mapped()) {
                    anonVma.rootRwsem().upRead();
                    return 0;
                }
                return 1;
            }
            if (!page.mapped()) {
                return 0;
            }
            anonVma.rootRwsem().downRead();
            return 1;
        });
        return locked == 1 ? anonVma : null;
    }

    @Mirrors(value = "rmap_walk_anon", file = "mm/rmap.c", version = "5.12.9")
    int rmapWalkAnon(Page page, long mapping, RmapOne rmapOne, boolean doneWhenUnmapped) {
        AnonVma anonVma = pageLockAnonVmaRead(page, mapping, doneWhenUnmapped);
        if (anonVma == null) {
            return SWAP_AGAIN;
        }
        int ret = SWAP_AGAIN;
        long pgoff = page.readIndex();
        for (Vma vma : intervalTree(anonVma.chain, anonVma.name(), pgoff)) {
            long address = vmaAddress(pgoff, vma);
            ret = rmapOne(rmapOne, page, vma, address);
            if (ret != SWAP_AGAIN) {
                break;
            }
            if (doneWhenUnmapped && !page.mapped()) {
                break;
            }
        }
        anonVma.rootRwsem().upRead();
        return ret;
    }

    /** The lock rmap walks take on i_mmap: i_mmap_mutex (exclusive) before 3.19, i_mmap_rwsem for read after. */
    void iMmapLockRead(AddressSpace mapping) {
        if (k.has(Patch.I_MMAP_RWSEM)) {
            mapping.iMmapRwsem.downRead();
        } else {
            mapping.iMmapRwsem.downWrite();
        }
    }

    void iMmapUnlockRead(AddressSpace mapping) {
        if (k.has(Patch.I_MMAP_RWSEM)) {
            mapping.iMmapRwsem.upRead();
        } else {
            mapping.iMmapRwsem.upWrite();
        }
    }

    @Mirrors(value = "rmap_walk_file", file = "mm/rmap.c", version = "3.16")
    int rmapWalkFile(Page page, AddressSpace mapping, RmapOne rmapOne, boolean doneWhenUnmapped, boolean nonlinear, int flags) {
        iMmapLockRead(mapping);
        int ret = SWAP_AGAIN;
        long pgoff = page.readIndex();
        for (Vma vma : intervalTree(mapping.iMmap, mapping.name() + ".i_mmap", pgoff)) {
            long address = vmaAddress(pgoff, vma);
            ret = rmapOne(rmapOne, page, vma, address);
            if (ret != SWAP_AGAIN) {
                iMmapUnlockRead(mapping);
                return ret;
            }
            if (doneWhenUnmapped && !page.mapped()) {
                iMmapUnlockRead(mapping);
                return ret;
            }
        }
        if (nonlinear && !k.has(Patch.NO_NONLINEAR_VMAS) && (flags & TTU_MUNLOCK) == 0) {
            ret = tryToUnmapNonlinear(page, mapping, ret);
        }
        iMmapUnlockRead(mapping);
        return ret;
    }

    /**
     * anon_vma_interval_tree_foreach / vma_interval_tree_foreach: the vmas whose range covers pgoff,
     * in tree order (by vm_pgoff, equal keys in insertion order). The tree only changes under its
     * lock held for write, so reading it whole is one step.
     */
    private List<Vma> intervalTree(int[] chain, String name, long pgoff) {
        long packed = k.load("interval_tree_foreach(" + name + ", pgoff " + pgoff + ")", m -> {
            long[] ids = new long[chain.length];
            long[] keys = new long[chain.length];
            int n = 0;
            for (int slot : chain) {
                long v = m.read(slot);
                if (v == 0) {
                    continue;
                }
                Vma vma = k.vma((int) v - 1);
                long start = m.read(vma.pgoff);
                long pages = (m.read(vma.end) - m.read(vma.start)) >>> Pgtable.PAGE_SHIFT;
                if (pgoff >= start && pgoff < start + pages) {
                    int i = n++;
                    while (i > 0 && keys[i - 1] > start) { // stable insertion by vm_pgoff
                        keys[i] = keys[i - 1];
                        ids[i] = ids[i - 1];
                        i--;
                    }
                    keys[i] = start;
                    ids[i] = v;
                }
            }
            long out = 0;
            for (int i = 0; i < n; i++) {
                out |= ids[i] << (8 * i);
            }
            return out;
        }, Rmap::vmaList);
        List<Vma> vmas = new ArrayList<>();
        for (long p = packed; p != 0; p >>>= 8) {
            vmas.add(k.vma((int) (p & 0xff) - 1));
        }
        return vmas;
    }

    /**
     * Every vma of a chain (i_mmap, i_mmap_nonlinear) in order, read in one step: callers hold the
     * chain's lock, which every writer of the chain takes for write.
     */
    List<Vma> listVmas(int[] chain, String what) {
        long packed = k.load(what, m -> {
            long out = 0;
            int shift = 0;
            for (int slot : chain) {
                long v = m.read(slot);
                if (v != 0) {
                    out |= v << shift;
                    shift += 8;
                }
            }
            return out;
        }, Rmap::vmaList);
        List<Vma> vmas = new ArrayList<>();
        for (long p = packed; p != 0; p >>>= 8) {
            vmas.add(k.vma((int) (p & 0xff) - 1));
        }
        return vmas;
    }

    /** vma_address: where the page with this index sits in vma. */
    @Mirrors(value = "vma_address", file = "mm/internal.h", version = "5.12.9")
    long vmaAddress(long pgoff, Vma vma) {
        return k.load("vma_address(pgoff " + pgoff + ", " + vma.name() + ")",
                m -> m.read(vma.start) + ((pgoff - m.read(vma.pgoff)) << Pgtable.PAGE_SHIFT), Pgtable::hex);
    }

    // ---- try_to_unmap -------------------------------------------------------------------------------------

    /** try_to_unmap (page locked by the caller): the 3.x return code; 5.x callers test SWAP_SUCCESS. */
    @Mirrors(value = "try_to_unmap", file = "mm/rmap.c", version = "3.16")
    public int tryToUnmap(Page page, int flags) {
        int ret = rmapWalk(page, (p, vma, address) -> tryToUnmapOne(p, vma, address, flags), true, true, flags);
        if (ret != SWAP_MLOCK && !page.mapped()) {
            ret = SWAP_SUCCESS;
        }
        return ret;
    }

    /** try_to_munlock: is the page still mapped by a VM_LOCKED vma? Then mlock it again. Page locked, isolated. */
    @Mirrors(value = "try_to_munlock", file = "mm/rmap.c", version = "3.16")
    public int tryToMunlock(Page page) {
        return rmapWalk(page, (p, vma, address) -> tryToUnmapOne(p, vma, address, TTU_MUNLOCK), true, false, TTU_MUNLOCK);
    }

    /**
     * try_to_unmap_one for a small page (no THP, hugetlb, KSM, device pages), with the mlock
     * handling of each generation: 3.16 drops the pte lock and re-reads VM_LOCKED under a read
     * trylock of mmap_sem; from 4.4 (seed 000) the page is mlocked under the pte lock.
     */
    @Mirrors(value = "try_to_unmap_one", file = "mm/rmap.c", version = "3.16")
    int tryToUnmapOne(Page page, Vma vma, long address, int flags) {
        MmStruct mm = vma.readMm();
        int ret = SWAP_AGAIN;
        if (k.has(Patch.TTU_MUNLOCK_SKIP) && (flags & TTU_MUNLOCK) != 0 && (vma.readFlags() & VmFlags.VM_LOCKED) == 0) {
            return SWAP_AGAIN;
        }
        PageVmaMapped.Walk pvmw = new PageVmaMapped.Walk(page, vma, address);
        while (k.pageVmaMapped.pageVmaMappedWalk(pvmw)) {
            if ((flags & TTU_IGNORE_MLOCK) == 0) {
                if ((vma.readFlags() & VmFlags.VM_LOCKED) != 0) {
                    if (k.has(Patch.TTU_MLOCK_UNDER_PTL)) {
                        k.mlock.mlockVmaPage(page);
                        k.pageVmaMapped.pageVmaMappedWalkDone(pvmw);
                        return SWAP_MLOCK;
                    }
                    k.pageVmaMapped.pageVmaMappedWalkDone(pvmw);
                    return outMlock(page, vma, mm);
                }
                if ((flags & TTU_MUNLOCK) != 0) {
                    continue;
                }
            }
            long addr = pvmw.address;
            if (!k.has(Patch.TTU_NO_YOUNG_CHECK) && (flags & TTU_MIGRATION) == 0) {
                long v = pvmw.pte.read("ptep_clear_flush_young: *pte");
                if ((v & Pgtable.YOUNG) != 0) {
                    pvmw.pte.write(v & ~Pgtable.YOUNG, "pte_mkold(" + Pgtable.hex(addr) + ")");
                    k.tlbFlush.flushTlbPage(vma, addr);
                    k.pageVmaMapped.pageVmaMappedWalkDone(pvmw);
                    return SWAP_FAIL;
                }
            }
            long pteval = k.memoryC.ptepClearFlush(vma, addr, pvmw.pte);
            if ((pteval & Pgtable.DIRTY) != 0) {
                page.setFlag(PageFlags.PG_dirty);
            }
            if ((flags & TTU_MIGRATION) != 0) {
                long entry = Pgtable.mkMigrationPte(page.pfn, (pteval & Pgtable.WRITE) != 0);
                pvmw.pte.write(entry, "set_pte_at(" + Pgtable.hex(addr) + ", " + Pgtable.pteString(entry) + ")");
            } else if ((page.readMapping() & Page.MAPPING_ANON) != 0) {
                int slot = (int) page.readPrivate();
                k.swapC.swapDuplicate(slot);
                long swpPte = Pgtable.mkSwapPte(slot);
                pvmw.pte.write(swpPte, "set_pte_at(" + Pgtable.hex(addr) + ", " + Pgtable.pteString(swpPte) + ")");
            }
            pageRemoveRmap(page);
            k.swapC.putPage(page);
        }
        return ret;
    }

    /** 3.16's out_mlock tail: the pte lock is dropped; mlock only if a read trylock of mmap_sem succeeds. */
    private int outMlock(Page page, Vma vma, MmStruct mm) {
        int ret = SWAP_AGAIN;
        if (mm.mmapLock.downReadTrylock()) {
            if ((vma.readFlags() & VmFlags.VM_LOCKED) != 0) {
                k.mlock.mlockVmaPage(page);
                ret = SWAP_MLOCK;
            }
            mm.mmapLock.upRead();
        }
        return ret;
    }

    // ---- migration ---------------------------------------------------------------------------------------

    /** remove_migration_ptes: every migration entry to old, in the rmap of the page now at its place, becomes a pte of new. */
    @Mirrors(value = "remove_migration_ptes", file = "mm/migrate.c", version = "3.16")
    public void removeMigrationPtes(Page old, Page nw) {
        rmapWalk(nw, (p, vma, address) -> removeMigrationPte(nw, vma, address, old), false, false, TTU_MUNLOCK);
    }

    @Mirrors(value = "remove_migration_pte", file = "mm/migrate.c", version = "3.16")
    int removeMigrationPte(Page nw, Vma vma, long address, Page old) {
        MmStruct mm = vma.readMm();
        Entry pmd = k.gup.pmdOf(mm, address);
        if (pmd == null) {
            return SWAP_AGAIN;
        }
        SpinLock[] ptl = new SpinLock[1];
        Entry ptep = k.memoryC.pteOffsetMapLock(mm, pmd, address, ptl);
        long pte = ptep.read("*ptep");
        if (Pgtable.isMigration(pte) && Pgtable.pfn(pte) == old.pfn) {
            nw.get();
            long entry = Pgtable.mkPte(nw.pfn, pte & Pgtable.WRITE);
            ptep.write(entry, "set_pte_at(" + Pgtable.hex(address) + ", " + Pgtable.pteString(entry) + ")");
            if ((nw.readMapping() & Page.MAPPING_ANON) != 0) {
                pageAddAnonRmap(nw, vma, address);
            } else {
                pageAddFileRmap(nw);
            }
        }
        ptl[0].unlock();
        return SWAP_AGAIN;
    }

    // ---- page_mlock (seed 002) ----------------------------------------------------------------------------

    /** page_mlock: the 5.14+ replacement of try_to_munlock. Page locked and isolated. */
    @Mirrors(value = "page_mlock", file = "mm/rmap.c", version = "5.17")
    public void pageMlock(Page page) {
        rmapWalk(page, this::pageMlockOne, true, false, TTU_MUNLOCK);
    }

    /**
     * page_mlock_one in its three forms: as posted in the seed (no re-check of VM_LOCKED under the
     * pte lock), as merged in cd62734ca60d (re-check, but an early return that keeps the pte lock),
     * and as fixed (keep walking when VM_LOCKED is clear).
     */
    @Mirrors(value = "page_mlock_one", file = "mm/rmap.c", version = "5.17")
    int pageMlockOne(Page page, Vma vma, long address) {
        if ((vma.readFlags() & VmFlags.VM_LOCKED) == 0) {
            return SWAP_AGAIN;
        }
        PageVmaMapped.Walk pvmw = new PageVmaMapped.Walk(page, vma, address);
        while (k.pageVmaMapped.pageVmaMappedWalk(pvmw)) {
            if (k.has(Patch.PAGE_MLOCK_SEED_TEXT)) {
                k.mlock.mlockVmaPage(page);
                k.pageVmaMapped.pageVmaMappedWalkDone(pvmw);
                return SWAP_MLOCK;
            }
            if ((vma.readFlags() & VmFlags.VM_LOCKED) != 0) {
                k.mlock.mlockVmaPage(page);
                k.pageVmaMapped.pageVmaMappedWalkDone(pvmw);
                return SWAP_MLOCK;
            }
            if (!k.has(Patch.PAGE_MLOCK_NO_PREMATURE_RETURN)) {
                return SWAP_FAIL; // cd62734ca60d: "return false" without page_vma_mapped_walk_done
            }
        }
        return SWAP_AGAIN;
    }

    // ---- the nonlinear cluster scan (3.13 / 3.16) ----------------------------------------------------------

    /** try_to_unmap_nonlinear: scan the first cluster of every nonlinear vma of the file. i_mmap held. */
    @Mirrors(value = "try_to_unmap_nonlinear", file = "mm/rmap.c", version = "3.16")
    int tryToUnmapNonlinear(Page page, AddressSpace mapping, int ret) {
        List<Vma> nonlinear = listVmas(mapping.iMmapNonlinear, "list_for_each_entry(" + mapping.name() + ".i_mmap_nonlinear)");
        if (nonlinear.isEmpty()) {
            return ret;
        }
        long[] mapcount = {page.readMapcount()};
        if (mapcount[0] == 0) {
            return ret;
        }
        for (Vma vma : nonlinear) {
            if (tryToUnmapCluster(0, mapcount, vma, page) == SWAP_MLOCK) {
                ret = SWAP_MLOCK;
            }
            if (mapcount[0] <= 0) {
                break;
            }
        }
        return ret;
    }

    /** try_to_unmap_cluster: mlock (if the vma is VM_LOCKED) or unmap every page of one 32-page cluster. */
    @Mirrors(value = "try_to_unmap_cluster", file = "mm/rmap.c", version = "3.16")
    int tryToUnmapCluster(long cursor, long[] mapcount, Vma vma, Page checkPage) {
        MmStruct mm = vma.readMm();
        int ret = SWAP_AGAIN;
        long vmStart = k.mmap.readStart(vma);
        long vmEnd = k.mmap.readEnd(vma);
        long address = Math.max((vmStart + cursor) & ~(CLUSTER_SIZE - 1), vmStart);
        long end = Math.min(((vmStart + cursor) & ~(CLUSTER_SIZE - 1)) + CLUSTER_SIZE, vmEnd);
        Entry pmd = k.gup.pmdOf(mm, address);
        if (pmd == null) {
            return ret;
        }
        boolean lockedVma = false;
        if (mm.mmapLock.downReadTrylock()) {
            lockedVma = (vma.readFlags() & VmFlags.VM_LOCKED) != 0;
            if (!lockedVma) {
                mm.mmapLock.upRead();
            }
        }
        SpinLock[] ptl = new SpinLock[1];
        Entry first = k.memoryC.pteOffsetMapLock(mm, pmd, address, ptl);
        for (int i = 0; address < end; i++, address += Pgtable.PAGE_SIZE) {
            Entry pte = new Entry(first.table(), first.index() + i);
            long v = pte.read("pte_present(*pte)?");
            if (!Pgtable.present(v)) {
                continue;
            }
            Page page = k.page(Pgtable.pfn(v));
            if (lockedVma) {
                if (k.has(Patch.CLUSTER_MLOCK_TRYLOCK) || k.has(Patch.CLUSTER_MLOCK_KOSAKI)) {
                    if (page == checkPage) {
                        k.mlock.mlockVmaPage(page);
                        ret = SWAP_MLOCK;
                    } else if ((!k.has(Patch.CLUSTER_MLOCK_KOSAKI) || !page.testFlag(PageFlags.PG_mlocked)) && page.trylock()) {
                        k.mlock.mlockVmaPage(page);
                        page.unlock();
                    }
                } else {
                    k.mlock.mlockVmaPage(page);
                    if (page == checkPage) {
                        ret = SWAP_MLOCK;
                    }
                }
                continue;
            }
            if ((v & Pgtable.YOUNG) != 0) {
                pte.write(v & ~Pgtable.YOUNG, "ptep_clear_flush_young(" + Pgtable.hex(address) + ")");
                continue;
            }
            long pteval = k.memoryC.ptepClearFlush(vma, address, pte);
            long index = page.readIndex();
            if (index != linearPageIndex(vmStart, k.load(vma.name() + "->vm_pgoff", m -> m.read(vma.pgoff), Long::toString), address)) {
                pte.write(Pgtable.mkFilePte(index), "set_pte_at(" + Pgtable.hex(address) + ", pgoff_to_pte(" + index + "))");
            }
            if ((pteval & Pgtable.DIRTY) != 0) {
                page.setFlag(PageFlags.PG_dirty);
            }
            pageRemoveRmap(page);
            k.swapC.putPage(page);
            mapcount[0]--;
        }
        ptl[0].unlock();
        if (lockedVma) {
            mm.mmapLock.upRead();
        }
        return ret;
    }

    // ---- page_referenced (setup's aging) -------------------------------------------------------------------------

    /** page_referenced: clear the young bit of every pte mapping the page; stop at a VM_LOCKED vma. */
    @Mirrors(value = "page_referenced", file = "mm/rmap.c", version = "3.16")
    public void pageReferenced(Page page) {
        rmapWalk(page, this::pageReferencedOne, true, false, 0);
    }

    @Mirrors(value = "page_referenced_one", file = "mm/rmap.c", version = "3.16")
    int pageReferencedOne(Page page, Vma vma, long address) {
        PageVmaMapped.Walk pvmw = new PageVmaMapped.Walk(page, vma, address);
        while (k.pageVmaMapped.pageVmaMappedWalk(pvmw)) {
            if ((vma.readFlags() & VmFlags.VM_LOCKED) != 0) {
                k.pageVmaMapped.pageVmaMappedWalkDone(pvmw);
                return SWAP_FAIL;
            }
            long v = pvmw.pte.read("ptep_clear_flush_young_notify(" + Pgtable.hex(address) + ")");
            if ((v & Pgtable.YOUNG) != 0) {
                pvmw.pte.write(v & ~Pgtable.YOUNG, "clear young(" + Pgtable.hex(address) + ")");
                k.tlbFlush.flushTlbPage(vma, address);
            }
        }
        return SWAP_AGAIN;
    }

    static String anonName(long v) {
        return v == 0 ? "NULL" : "anon_vma" + (v - 1);
    }

    static String vmaList(long packed) {
        StringBuilder sb = new StringBuilder("[");
        for (long p = packed; p != 0; p >>>= 8) {
            sb.append(sb.length() > 1 ? ", " : "").append('V').append((p & 0xff) - 1);
        }
        return sb.append(']').toString();
    }

}
