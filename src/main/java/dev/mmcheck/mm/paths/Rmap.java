package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.ModelError;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.AnonVma;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Vma;
import java.util.ArrayList;
import java.util.List;

/** mm/rmap.c: the anon reverse map and the walks over it (try_to_unmap and its rmap_one). */
public final class Rmap {
    public static final int TTU_IGNORE_MLOCK = 0x8;
    public static final int TTU_MUNLOCK = 0x10;
    public static final int TTU_BATCH_FLUSH = 0x40;

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

    private AnonVma anonVmaAlloc() {
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
            for (int slot : anonVma.chain) {
                if (m.read(slot) == 0) {
                    m.write(slot, vma.id + 1);
                    return 0;
                }
            }
            throw new ModelError(anonVma.name() + " has no room for another vma", null);
        });
    }

    /** anon_vma_clone: link dst into every anon_vma of the source (one level: no fork yet). */
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
            for (int slot : anonVma.chain) {
                if (m.read(slot) == vma.id + 1) {
                    m.write(slot, 0);
                }
            }
            return 0;
        });
        anonVma.rootRwsem().upWrite();
    }

    /** page_add_new_anon_rmap: a new page's first mapping (nobody else can see the page yet). */
    @Mirrors(value = "page_add_new_anon_rmap", file = "mm/rmap.c", version = "5.12.9")
    public void pageAddNewAnonRmap(Page page, Vma vma, long address) {
        k.step("page_add_new_anon_rmap(" + page.name() + ", " + vma.name() + ", " + Pgtable.hex(address) + ")", null, m -> {
            m.write(page.flags, m.read(page.flags) | PageFlags.bit(PageFlags.PG_swapbacked));
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
            long c = m.read(page.mapcount);
            m.write(page.mapcount, c + 1);
            if (c == 0) {
                m.write(page.mapping, Page.MAPPING_ANON | m.read(vma.anonVma));
                m.write(page.index, linearPageIndex(m.read(vma.start), m.read(vma.pgoff), address));
            }
            return 0;
        });
    }

    /** page_remove_rmap: drop one mapping; returns whether it was the last. */
    @Mirrors(value = "page_remove_rmap", file = "mm/rmap.c", version = "5.12.9")
    public boolean pageRemoveRmap(Page page) {
        return k.load("atomic_add_negative(-1, &" + page.name() + "->_mapcount)", m -> {
            long c = m.read(page.mapcount) - 1;
            m.write(page.mapcount, c);
            return c == 0 ? 1 : 0;
        }, r -> r == 1 ? "last mapping gone" : "still mapped") == 1;
    }

    static long linearPageIndex(long vmStart, long vmPgoff, long address) {
        return ((address - vmStart) >>> Pgtable.PAGE_SHIFT) + vmPgoff;
    }

    // ---- walking it --------------------------------------------------------------------------------

    /** What try_to_unmap's rmap_walk_control asks of each vma. */
    @FunctionalInterface
    interface RmapOne {
        boolean apply(Page page, Vma vma, long address);
    }

    /** try_to_unmap: unmap the page from every vma; true if no mapping remains. Page locked by the caller. */
    @Mirrors(value = "try_to_unmap", file = "mm/rmap.c", version = "5.12.9")
    public boolean tryToUnmap(Page page, int flags) {
        rmapWalkAnon(page, (p, vma, address) -> tryToUnmapOne(p, vma, address, flags));
        return page.readMapcount() == 0;
    }

    /** page_lock_anon_vma_read: the page's anon_vma, read-locked, or null if the page is no longer mapped. */
    @Mirrors(value = "page_lock_anon_vma_read", file = "mm/rmap.c", version = "5.12.9")
    AnonVma pageLockAnonVmaRead(Page page) {
        long mapping = page.readMapping();
        if ((mapping & Page.MAPPING_ANON) == 0) {
            return null;
        }
        if (page.readMapcount() == 0) {
            return null;
        }
        AnonVma anonVma = k.anonVma((int) (mapping & ~Page.MAPPING_ANON) - 1);
        if (anonVma.rootRwsem().downReadTrylock()) {
            if (page.readMapcount() == 0) {
                anonVma.rootRwsem().upRead();
                return null;
            }
            return anonVma;
        }
        if (page.readMapcount() == 0) {
            return null;
        }
        anonVma.rootRwsem().downRead();
        return anonVma;
    }

    /** rmap_walk_anon with try_to_unmap's done() (page_mapcount_is_zero). */
    @Mirrors(value = "rmap_walk_anon", file = "mm/rmap.c", version = "5.12.9")
    void rmapWalkAnon(Page page, RmapOne rmapOne) {
        AnonVma anonVma = pageLockAnonVmaRead(page);
        if (anonVma == null) {
            return;
        }
        long pgoff = page.readIndex();
        for (Vma vma : anonVmaIntervalTree(anonVma, pgoff)) {
            long address = vmaAddress(pgoff, vma);
            if (!rmapOne.apply(page, vma, address)) {
                break;
            }
            if (page.readMapcount() == 0) {
                break;
            }
        }
        anonVma.rootRwsem().upRead();
    }

    /**
     * anon_vma_interval_tree_foreach: the vmas whose range covers pgoff, in tree order. The tree
     * only changes under the rwsem held for write, so reading it whole is one step.
     */
    private List<Vma> anonVmaIntervalTree(AnonVma anonVma, long pgoff) {
        long packed = k.load("anon_vma_interval_tree_foreach(" + anonVma.name() + ", pgoff " + pgoff + ")", m -> {
            long out = 0;
            int shift = 0;
            for (int slot : anonVma.chain) {
                long v = m.read(slot);
                if (v == 0) {
                    continue;
                }
                Vma vma = k.vma((int) v - 1);
                long start = m.read(vma.pgoff);
                long pages = (m.read(vma.end) - m.read(vma.start)) >>> Pgtable.PAGE_SHIFT;
                if (pgoff >= start && pgoff < start + pages) {
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

    /** try_to_unmap_one for a small anonymous page (no THP, hugetlb, device or migration entries). */
    @Mirrors(value = "try_to_unmap_one", file = "mm/rmap.c", version = "5.12.9")
    boolean tryToUnmapOne(Page page, Vma vma, long address, int flags) {
        MmStruct mm = vma.readMm();
        PageVmaMapped.Walk pvmw = new PageVmaMapped.Walk(page, vma, address);
        boolean ret = true;
        if ((flags & TTU_MUNLOCK) != 0 && (vma.readFlags() & dev.mmcheck.mm.types.VmFlags.VM_LOCKED) == 0) {
            return true;
        }
        while (k.pageVmaMapped.pageVmaMappedWalk(pvmw)) {
            if ((flags & TTU_IGNORE_MLOCK) == 0) {
                if ((vma.readFlags() & dev.mmcheck.mm.types.VmFlags.VM_LOCKED) != 0) {
                    throw new ModelError("try_to_unmap_one met a VM_LOCKED vma: mlock is not modelled yet", null);
                }
                if ((flags & TTU_MUNLOCK) != 0) {
                    continue;
                }
            }
            long addr = pvmw.address;
            long pteval = k.memoryC.ptepClearFlush(vma, addr, pvmw.pte);
            if ((pteval & Pgtable.DIRTY) != 0) {
                page.setFlag(PageFlags.PG_dirty);
            }
            int slot = (int) page.readPrivate();
            if (!k.swapC.swapDuplicate(slot)) {
                pvmw.pte.write(pteval, "set_pte_at(" + Pgtable.hex(addr) + ", restore)");
                ret = false;
                k.pageVmaMapped.pageVmaMappedWalkDone(pvmw);
                break;
            }
            long swpPte = Pgtable.mkSwapPte(slot);
            pvmw.pte.write(swpPte, "set_pte_at(" + Pgtable.hex(addr) + ", " + Pgtable.pteString(swpPte) + ")");
            pageRemoveRmap(page);
            k.swapC.putPage(page);
        }
        return ret;
    }

    static String anonName(long v) {
        return v == 0 ? "NULL" : "anon_vma" + (v - 1);
    }

    private static String vmaList(long packed) {
        StringBuilder sb = new StringBuilder("[");
        for (long p = packed; p != 0; p >>>= 8) {
            sb.append(sb.length() > 1 ? ", " : "").append('V').append((p & 0xff) - 1);
        }
        return sb.append(']').toString();
    }
}
