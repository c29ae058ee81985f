package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.AddressSpace;
import dev.mmcheck.mm.types.AnonVma;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;
import java.util.ArrayList;
import java.util.List;

/**
 * Splitting and merging vmas: __split_vma, vma_merge (6.x: vma_merge_new_range for a new mapping,
 * vma_modify for a flag change on part of a vma, vma_merge_extend for mremap's growth in place),
 * and the helpers that look at the vma list. In 6.x this is mm/vma.c; before, mm/mmap.c. Callers
 * hold mmap_lock for write, so a walk of the list is one step; a vma's bounds change under the
 * rmap locks of the trees it is in (vma_prepare / vma_complete), as the kernel does it.
 *
 * <p>A flag change on [start, end) is carried out as split, set the flags, then merge with prev and
 * next where they are compatible: the layout that results is the one vma_modify's merge-or-split
 * produces (which struct survives a merge is not observable and may differ).
 */
public final class VmaSplit {
    private final Kernel k;

    public VmaSplit(Kernel k) {
        this.k = k;
    }

    // ---- looking at the list (one step each) -------------------------------------------------

    /** The vmas of mm intersecting [start, end), in address order (for_each_vma_range: a find_vma per vma). */
    public List<Vma> vmasIn(MmStruct mm, long start, long end) {
        List<Vma> out = new ArrayList<>();
        for (Vma v = k.mmap.findVma(mm, start); v != null && k.mmap.readStart(v) < end; v = k.mmap.findVma(mm, k.mmap.readEnd(v))) {
            out.add(v);
        }
        return out;
    }

    /** vma_lookup: the vma containing addr, or null. */
    @Mirrors(value = "vma_lookup", file = "include/linux/mm.h", version = "6.x")
    public Vma vmaLookup(MmStruct mm, long addr) {
        Vma v = k.mmap.findVma(mm, addr);
        return v != null && k.mmap.readStart(v) <= addr ? v : null;
    }

    /** The vma just below addr (ending at or before it), or null: vma_prev. */
    public Vma prevOf(MmStruct mm, long addr) {
        long r = k.load("vma_prev(" + mm.name() + ", " + Pgtable.hex(addr) + ")", m -> prev(m, mm, addr),
                v -> v == 0 ? "NULL" : "V" + (v - 1));
        return r == 0 ? null : k.vma((int) r - 1);
    }

    /** The vma at or above addr, or null: find_vma. */
    public Vma nextFrom(MmStruct mm, long addr) {
        return k.mmap.findVma(mm, addr);
    }

    private long prev(Memory m, MmStruct mm, long addr) {
        long prev = 0;
        for (long v = m.read(mm.mmap); v != 0; v = m.read(k.vma((int) v - 1).next)) {
            if (m.read(k.vma((int) v - 1).end) > addr) {
                break;
            }
            prev = v;
        }
        return prev;
    }

    /** How many anon_vmas the vma is linked into (its anon_vma_chain's length: 2 or more after fork). */
    int chainLength(Memory m, Vma vma) {
        int n = 0;
        for (int i = 0; i < k.anonVmaCount(); i++) {
            AnonVma av = k.anonVma(i);
            if (m.read(av.allocated) == 0) {
                continue;
            }
            for (int slot : av.chain) {
                if (m.read(slot) == vma.id + 1) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }

    // ---- merge rules -------------------------------------------------------------------------------

    /** What a range about to become (part of) a vma is: the properties vma_merge compares. */
    public record Candidate(long flags, long file, long anonVma, Vma anonOwner, long pgoff) {}

    /**
     * is_mergeable_vma + is_mergeable_anon_vma: same flags, same file, anon_vmas equal or one of them
     * NULL while the other's vma was never forked (a singular anon_vma_chain).
     */
    private boolean mergeable(Memory m, Vma existing, Candidate c) {
        if (m.read(existing.flags) != c.flags() || m.read(existing.file) != c.file()) {
            return false;
        }
        long a = m.read(existing.anonVma);
        long b = c.anonVma();
        if (a == b) {
            return true;
        }
        if (a != 0 && b != 0) {
            return false;
        }
        Vma owner = a != 0 ? existing : c.anonOwner();
        return owner == null || chainLength(m, owner) <= 1;
    }

    /** can_vma_merge_after: the candidate at [start, ...) continues prev. */
    private boolean canMergeAfter(Memory m, Vma prev, long start, Candidate c) {
        if (prev == null || m.read(prev.end) != start || !mergeable(m, prev, c)) {
            return false;
        }
        long pages = (m.read(prev.end) - m.read(prev.start)) >>> Pgtable.PAGE_SHIFT;
        return m.read(prev.pgoff) + pages == c.pgoff();
    }

    /** can_vma_merge_before: the candidate [start, end) is continued by next. */
    private boolean canMergeBefore(Memory m, Vma next, long start, long end, Candidate c) {
        if (next == null || m.read(next.start) != end || !mergeable(m, next, c)) {
            return false;
        }
        return c.pgoff() + ((end - start) >>> Pgtable.PAGE_SHIFT) == m.read(next.pgoff);
    }

    // ---- the operations --------------------------------------------------------------------------

    /**
     * __split_vma: vma becomes two at addr; returns the new one ([start, addr) if {@code newBelow},
     * else [addr, end)). The new vma is linked into every anon_vma the old one is in and into the
     * file's i_mmap.
     */
    @Mirrors(value = "__split_vma", file = "mm/vma.c", version = "6.x")
    public Vma splitVma(Vma vma, long addr, boolean newBelow) {
        MmStruct mm = vma.readMm();
        Vma nw = vmAreaDup(vma);
        AddressSpace mapping = mappingOf(vma);
        lockRmap(vma, mapping);
        k.step((newBelow ? "new->vm_end = " : "new->vm_start = ") + Pgtable.hex(addr) + "; vma_adjust(" + vma.name() + ")", null, m -> {
            long start = m.read(vma.start);
            long delta = (addr - start) >>> Pgtable.PAGE_SHIFT;
            if (newBelow) {
                m.write(nw.end, addr);
                m.write(vma.start, addr);
                m.write(vma.pgoff, m.read(vma.pgoff) + delta);
            } else {
                m.write(nw.start, addr);
                m.write(nw.pgoff, m.read(nw.pgoff) + delta);
                m.write(vma.end, addr);
            }
            return 0;
        });
        k.step("anon_vma_clone(" + nw.name() + ", " + vma.name() + ")", null, m -> {
            for (int i = 0; i < k.anonVmaCount(); i++) {
                AnonVma av = k.anonVma(i);
                for (int slot : av.chain) {
                    if (m.read(slot) == vma.id + 1) {
                        Rmap.insert(m, av.chain, nw, av.name());
                        break;
                    }
                }
            }
            if (mapping != null) {
                Rmap.insert(m, mapping.iMmap, nw, mapping.name() + ".i_mmap");
            }
            return 0;
        });
        unlockRmap(vma, mapping);
        linkList(mm, nw);
        return nw;
    }

    /** vm_area_dup: a copy of every field, not yet linked anywhere. */
    @Mirrors(value = "vm_area_dup", file = "kernel/fork.c", version = "6.x")
    Vma vmAreaDup(Vma vma) {
        int id = (int) k.load("vm_area_dup(" + vma.name() + ")", m -> {
            int i = k.mmap.claimVma(m);
            if (i >= 0) {
                Vma v = k.vma(i);
                m.write(v.mm, m.read(vma.mm));
                m.write(v.start, m.read(vma.start));
                m.write(v.end, m.read(vma.end));
                m.write(v.pgoff, m.read(vma.pgoff));
                m.write(v.flags, m.read(vma.flags));
                m.write(v.anonVma, m.read(vma.anonVma));
                m.write(v.file, m.read(vma.file));
                m.write(v.next, 0);
                m.write(v.munlocking, 0);
            }
            return i;
        }, r -> "V" + r);
        return k.mmap.allocatedVma(id);
    }

    /** Insert a detached vma into mm's list in address order. */
    void linkList(MmStruct mm, Vma vma) {
        k.step("vma_iter_store(" + mm.name() + ", " + vma.name() + ")", null, m -> {
            long start = m.read(vma.start);
            long prev = 0;
            for (long v = m.read(mm.mmap); v != 0; v = m.read(k.vma((int) v - 1).next)) {
                if (m.read(k.vma((int) v - 1).start) >= start) {
                    break;
                }
                prev = v;
            }
            int head = prev == 0 ? mm.mmap : k.vma((int) prev - 1).next;
            m.write(vma.next, m.read(head));
            m.write(head, vma.id + 1);
            m.write(mm.mapCount, m.read(mm.mapCount) + 1);
            return 0;
        });
    }

    /**
     * Remove a vma merged into a neighbour: out of the list, the anon_vma trees and i_mmap, freed
     * (its pages, if any, are now the neighbour's: nothing is unmapped).
     */
    void removeMerged(MmStruct mm, Vma vma) {
        AddressSpace mapping = mappingOf(vma);
        lockRmap(vma, mapping);
        k.step("vma_iter_clear(" + vma.name() + ") + unlink_anon_vmas + __remove_shared_vm_struct", null, m -> {
            for (long v = m.read(mm.mmap), prev = 0; v != 0; prev = v, v = m.read(k.vma((int) v - 1).next)) {
                if (v == vma.id + 1) {
                    int head = prev == 0 ? mm.mmap : k.vma((int) prev - 1).next;
                    m.write(head, m.read(vma.next));
                    m.write(vma.next, 0);
                    m.write(mm.mapCount, m.read(mm.mapCount) - 1);
                    break;
                }
            }
            for (int i = 0; i < k.anonVmaCount(); i++) {
                Rmap.remove(m, k.anonVma(i).chain, vma);
            }
            if (mapping != null) {
                Rmap.remove(m, mapping.iMmap, vma);
            }
            return 0;
        });
        unlockRmap(vma, mapping);
        k.mmap.removeVma(vma);
    }

    /**
     * anon_vma_clone(dst, src): link dst into every anon_vma src is in (its own, and after fork its
     * parents'), under the root anon_vma's rwsem.
     */
    @Mirrors(value = "anon_vma_clone", file = "mm/rmap.c", version = "6.x")
    public void anonVmaClone(Vma dst, Vma src, long anonVma) {
        if (anonVma == 0) {
            return;
        }
        AnonVma own = k.anonVma((int) anonVma - 1);
        own.rootRwsem().downWrite();
        k.step("anon_vma_interval_tree_insert(" + dst.name() + ", " + own.name() + ")", null, m -> {
            Rmap.insert(m, own.chain, dst, own.name());
            for (int i = 0; i < k.anonVmaCount(); i++) {
                AnonVma av = k.anonVma(i);
                if (av == own) {
                    continue;
                }
                for (int slot : av.chain) {
                    if (m.read(slot) == src.id + 1) {
                        Rmap.insert(m, av.chain, dst, av.name());
                        break;
                    }
                }
            }
            return 0;
        });
        own.rootRwsem().upWrite();
    }

    /** dup_anon_vma: target takes src's anon_vma (it had none). */
    void dupAnonVma(Vma target, long anonVma) {
        if (anonVma == 0) {
            return;
        }
        AnonVma av = k.anonVma((int) anonVma - 1);
        av.rootRwsem().downWrite();
        k.step(target.name() + "->anon_vma = " + av.name() + "; anon_vma_chain_link", null, m -> {
            if (m.read(target.anonVma) == 0) {
                m.write(target.anonVma, anonVma);
                Rmap.insert(m, av.chain, target, av.name());
            }
            return 0;
        });
        av.rootRwsem().upWrite();
    }

    /**
     * vma_modify_flags: give [start, end) of vma the flags {@code newFlags}, splitting it and merging
     * the result with its neighbours as vma_modify does. Returns the vma that then covers [start, end).
     */
    @Mirrors(value = "vma_modify_flags", file = "mm/vma.c", version = "6.x")
    public Vma vmaModifyFlags(Vma vma, long start, long end, long newFlags) {
        MmStruct mm = vma.readMm();
        if (k.mmap.readStart(vma) < start) {
            splitVma(vma, start, true);
        }
        if (k.mmap.readEnd(vma) > end) {
            splitVma(vma, end, false);
        }
        k.mmap.writeVmFlags(vma, newFlags, "vm_flags_reset(" + vma.name() + ", newflags)");
        return mergeNeighbours(mm, vma);
    }

    /** Merge vma with prev and then next where compatible (vma_merge_existing_range); returns the survivor. */
    @Mirrors(value = "vma_merge_existing_range", file = "mm/vma.c", version = "6.x")
    public Vma mergeNeighbours(MmStruct mm, Vma vma) {
        long start = k.mmap.readStart(vma);
        Vma prev = prevOf(mm, start);
        long mergePrev = k.load("can_vma_merge_after(" + (prev == null ? "NULL" : prev.name()) + ", " + vma.name() + ")?", m -> {
            if (prev == null) {
                return 0;
            }
            Candidate c = new Candidate(m.read(vma.flags), m.read(vma.file), m.read(vma.anonVma), vma, m.read(vma.pgoff));
            return canMergeAfter(m, prev, m.read(vma.start), c) ? 1 : 0;
        }, Kernel::yesNo);
        Vma cur = vma;
        if (mergePrev == 1) {
            cur = absorb(mm, prev, vma);
        }
        Vma survivor = cur;
        Vma next = k.mmap.next(survivor);
        long mergeNext = k.load("can_vma_merge_before(" + survivor.name() + ", " + (next == null ? "NULL" : next.name()) + ")?", m -> {
            if (next == null) {
                return 0;
            }
            Candidate c = new Candidate(m.read(survivor.flags), m.read(survivor.file), m.read(survivor.anonVma), survivor,
                    m.read(survivor.pgoff));
            return canMergeBefore(m, next, m.read(survivor.start), m.read(survivor.end), c) ? 1 : 0;
        }, Kernel::yesNo);
        if (mergeNext == 1) {
            cur = absorb(mm, survivor, next);
        }
        return cur;
    }

    /**
     * Whether vma can merge with prev or next (one step, for the older kernels' vma_merge in
     * mlock_fixup and mprotect_fixup, so that a vma with no mergeable neighbour costs one step).
     */
    public boolean hasMergeCandidate(MmStruct mm, Vma vma) {
        return k.load("vma_merge(" + vma.name() + ") candidates?", m -> {
            Candidate c = new Candidate(m.read(vma.flags), m.read(vma.file), m.read(vma.anonVma), vma, m.read(vma.pgoff));
            long start = m.read(vma.start);
            long end = m.read(vma.end);
            long p = prev(m, mm, start);
            if (p != 0 && canMergeAfter(m, k.vma((int) p - 1), start, c)) {
                return 1;
            }
            long n = m.read(vma.next);
            return n != 0 && canMergeBefore(m, k.vma((int) n - 1), start, end, c) ? 1 : 0;
        }, Kernel::yesNo) == 1;
    }

    /** lower takes over upper's range (they are adjacent and mergeable); upper is removed. Returns lower. */
    private Vma absorb(MmStruct mm, Vma lower, Vma upper) {
        long upperAnon = k.load(upper.name() + "->anon_vma", m -> m.read(upper.anonVma), Rmap::anonName);
        dupAnonVma(lower, upperAnon);
        AddressSpace mapping = mappingOf(lower);
        lockRmap(lower, mapping);
        k.step(lower.name() + "->vm_end = " + upper.name() + "->vm_end (vma_expand)", null, m -> {
            m.write(lower.end, m.read(upper.end));
            return 0;
        });
        unlockRmap(lower, mapping);
        removeMerged(mm, upper);
        return lower;
    }

    /**
     * vma_merge_new_range: a new mapping [start, end) with these properties joins prev and/or next
     * when compatible. Returns the vma now covering it, or null (the caller makes a new vma).
     */
    @Mirrors(value = "vma_merge_new_range", file = "mm/vma.c", version = "6.x")
    public Vma mergeNewRange(MmStruct mm, long start, long end, Candidate c) {
        Vma prev = prevOf(mm, start);
        Vma next = k.mmap.findVma(mm, start);
        long which = k.load("vma_merge_new_range(" + Pgtable.hex(start) + ", " + Pgtable.hex(end) + ")", m -> {
            boolean left = prev != null && canMergeAfter(m, prev, start, c);
            boolean right = next != null && canMergeBefore(m, next, start, end, c);
            if (left && right) {
                Candidate p = new Candidate(m.read(prev.flags), m.read(prev.file), m.read(prev.anonVma), prev, m.read(prev.pgoff));
                if (!mergeable(m, next, p)) {
                    right = false; // prev's and next's anon_vmas cannot be joined: merge with prev only
                }
            }
            return (left ? 1 : 0) | (right ? 2 : 0);
        }, r -> r == 0 ? "no merge" : r == 1 ? "merge with prev" : r == 2 ? "merge with next" : "merge prev and next");
        if (which == 0) {
            return null;
        }
        if ((which & 1) != 0) {
            AddressSpace mapping = mappingOf(prev);
            dupAnonVma(prev, c.anonVma());
            lockRmap(prev, mapping);
            k.step(prev.name() + "->vm_end = " + Pgtable.hex(end) + " (vma_expand)", null, m -> {
                m.write(prev.end, end);
                return 0;
            });
            unlockRmap(prev, mapping);
            if ((which & 2) != 0) {
                return absorb(mm, prev, next);
            }
            return prev;
        }
        AddressSpace mapping = mappingOf(next);
        dupAnonVma(next, c.anonVma());
        lockRmap(next, mapping);
        k.step(next.name() + "->vm_start = " + Pgtable.hex(start) + " (vma_expand)", null, m -> {
            m.write(next.start, start);
            m.write(next.pgoff, c.pgoff());
            return 0;
        });
        unlockRmap(next, mapping);
        return next;
    }

    /** vma_merge_extend: vma grows by delta at its end (mremap in place) and may then merge with next. */
    @Mirrors(value = "vma_merge_extend", file = "mm/vma.c", version = "6.x")
    public Vma mergeExtend(Vma vma, long delta) {
        MmStruct mm = vma.readMm();
        AddressSpace mapping = mappingOf(vma);
        lockRmap(vma, mapping);
        k.step(vma.name() + "->vm_end += " + Pgtable.hex(delta) + " (vma_expand)", null, m -> {
            m.write(vma.end, m.read(vma.end) + delta);
            return 0;
        });
        unlockRmap(vma, mapping);
        return mergeNeighbours(mm, vma);
    }

    // ---- rmap locks around a change of bounds (vma_prepare / vma_complete) ------------------------------

    AddressSpace mappingOf(Vma vma) {
        long file = k.load(vma.name() + "->vm_file", m -> m.read(vma.file), r -> r == 0 ? "NULL" : "mapping" + (r - 1));
        return file == 0 ? null : k.file((int) file - 1);
    }

    private void lockRmap(Vma vma, AddressSpace mapping) {
        if (mapping != null) {
            mapping.iMmapRwsem.downWrite();
        }
        long av = k.load(vma.name() + "->anon_vma", m -> m.read(vma.anonVma), Rmap::anonName);
        if (av != 0) {
            k.anonVma((int) av - 1).rootRwsem().downWrite();
        }
    }

    private void unlockRmap(Vma vma, AddressSpace mapping) {
        long av = k.load(vma.name() + "->anon_vma", m -> m.read(vma.anonVma), Rmap::anonName);
        if (av != 0) {
            k.anonVma((int) av - 1).rootRwsem().upWrite();
        }
        if (mapping != null) {
            mapping.iMmapRwsem.upWrite();
        }
    }

    /** Whether vma is a private anonymous one (vma_is_anonymous: no vm_file and no vm_ops). */
    boolean isAnonymous(Vma vma) {
        return k.load(vma.name() + "->vm_file", m -> m.read(vma.file), r -> r == 0 ? "NULL" : "mapping" + (r - 1)) == 0;
    }

    static boolean locked(long flags) {
        return (flags & VmFlags.VM_LOCKED) != 0;
    }
}
