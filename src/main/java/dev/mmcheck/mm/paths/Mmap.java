package dev.mmcheck.mm.paths;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.engine.ModelError;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.mm.types.AddressSpace;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;
import java.util.ArrayList;
import java.util.List;

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
        return k.load(vma.name() + "->vm_start", m -> {
            vma.checkAlive(m);
            return m.read(vma.start);
        }, Pgtable::hex);
    }

    public long readEnd(Vma vma) {
        return k.load(vma.name() + "->vm_end", m -> {
            vma.checkAlive(m);
            return m.read(vma.end);
        }, Pgtable::hex);
    }

    /**
     * A plain store to vma->vm_flags. Under the torn-vm_flags fault model (Kirill Shutemov's
     * concern in seed 000), a store that leaves VM_LOCKED clear first publishes an intermediate
     * value with VM_LOCKED set, as a compiler is allowed to.
     */
    public void writeVmFlags(Vma vma, long value, String what) {
        writeVmFlags(vma, value, what, -1);
    }

    /** The same, also setting a model-only marker slot in the step of the final store (munlock in progress). */
    public void writeVmFlags(Vma vma, long value, String what, int marker) {
        if (k.has(Patch.TORN_VM_FLAGS) && (value & VmFlags.VM_LOCKED) == 0) {
            k.step(what + " (torn: intermediate " + VmFlags.names(value | VmFlags.VM_LOCKED) + ")", null, m -> {
                m.write(vma.flags, value | VmFlags.VM_LOCKED);
                return 0;
            });
        }
        k.step(what + " -> " + VmFlags.names(value), null, m -> {
            m.write(vma.flags, value);
            if (marker >= 0) {
                m.write(marker, 1);
            }
            return 0;
        });
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
        return vmAreaAlloc(mm, start, end, pgoff, flags, anonVma, null);
    }

    /** The same, mapping {@code fileOf}'s vm_file (null: none) as copy_vma's vm_area_dup does. */
    Vma vmAreaAlloc(MmStruct mm, long start, long end, long pgoff, long flags, long anonVma, Vma fileOf) {
        int id = (int) k.load("vm_area_alloc()", m -> {
            int i = claimVma(m);
            if (i >= 0) {
                Vma v = k.vma(i);
                m.write(v.mm, mm.id + 1);
                m.write(v.start, start);
                m.write(v.end, end);
                m.write(v.pgoff, pgoff);
                m.write(v.flags, flags);
                m.write(v.anonVma, anonVma);
                m.write(v.file, fileOf == null ? 0 : m.read(fileOf.file));
                m.write(v.next, 0);
                m.write(v.munlocking, 0);
            }
            return i;
        }, r -> "V" + r);
        return allocatedVma(id);
    }

    /** The slab's part of vm_area_alloc/vm_area_dup: the first free vma, marked allocated, or -1. */
    int claimVma(Memory m) {
        for (int i = 0; i < k.vmaCount(); i++) {
            if (m.read(k.vma(i).allocated) == 0) {
                m.write(k.vma(i).allocated, 1);
                return i;
            }
        }
        return -1;
    }

    /** The vma {@link #claimVma} chose; running out is a limit of the scenario's sizes, not a kernel event. */
    Vma allocatedVma(int id) {
        if (id < 0) {
            throw new ModelError("the model ran out of vmas: raise the scenario's 'vmas' size", null);
        }
        return k.vma(id);
    }

    /** vma_link: insert into mm->mmap in address order, and a file vma into its file's i_mmap. */
    @Mirrors(value = "vma_link", file = "mm/mmap.c", version = "5.12.9")
    public void vmaLink(MmStruct mm, Vma vma) {
        long file = k.load(vma.name() + "->vm_file", m -> m.read(vma.file), r -> r == 0 ? "NULL" : "mapping" + (r - 1));
        AddressSpace mapping = file == 0 ? null : k.file((int) file - 1);
        if (mapping != null) {
            mapping.iMmapRwsem.downWrite();
        }
        k.step("__vma_link_list(" + mm.name() + ", " + vma.name() + ")", null, m -> {
            long prev = prevOf(m, mm, m.read(vma.start));
            int head = prev == 0 ? mm.mmap : k.vma((int) prev - 1).next;
            m.write(vma.next, m.read(head));
            m.write(head, vma.id + 1);
            m.write(mm.mapCount, m.read(mm.mapCount) + 1);
            return 0;
        });
        if (mapping != null) {
            k.step("vma_interval_tree_insert(" + vma.name() + ", " + mapping.name() + ".i_mmap)", null, m -> {
                Rmap.insert(m, mapping.iMmap, vma, mapping.name() + ".i_mmap");
                return 0;
            });
            mapping.iMmapRwsem.upWrite();
        }
    }

    /** unlink_file_vma: take a file vma out of i_mmap (or i_mmap_nonlinear), under i_mmap for write. */
    @Mirrors(value = "unlink_file_vma", file = "mm/mmap.c", version = "3.16")
    void unlinkFileVma(Vma vma) {
        long file = k.load(vma.name() + "->vm_file", m -> m.read(vma.file), r -> r == 0 ? "NULL" : "mapping" + (r - 1));
        if (file == 0) {
            return;
        }
        AddressSpace mapping = k.file((int) file - 1);
        mapping.iMmapRwsem.downWrite();
        k.step("__remove_shared_vm_struct(" + vma.name() + ")", null, m -> {
            Rmap.remove(m, mapping.iMmap, vma);
            Rmap.remove(m, mapping.iMmapNonlinear, vma);
            return 0;
        });
        mapping.iMmapRwsem.upWrite();
    }

    /** TASK_SIZE on x86-64 with four-level page tables. */
    public static final long TASK_SIZE = 0x7ffffffff000L;
    /**
     * The model's mm->mmap_base: where get_unmapped_area's top-down search for an address the
     * kernel chooses starts (the live kernel's is randomized; conform compares such addresses
     * relative to each other, not absolutely).
     */
    public static final long MMAP_BASE = 0x7f0000000000L;
    static final long EINVAL = -22;
    static final long ENOMEM = -12;
    static final long EOVERFLOW = -75;

    static long pageAlign(long len) {
        return (len + Pgtable.PAGE_SIZE - 1) & ~(Pgtable.PAGE_SIZE - 1);
    }

    /** PROT_* to VM_* (calc_vm_prot_bits). */
    static long protBits(int prot) {
        return ((prot & 1) != 0 ? VmFlags.VM_READ : 0) | ((prot & 2) != 0 ? VmFlags.VM_WRITE : 0);
    }

    /**
     * The mmap system call: do_mmap (checks, the address, the vm_flags with mm->def_flags), then
     * mmap_region under mmap_lock for write, then mm_populate for MAP_POPULATE or a VM_LOCKED
     * mapping. Returns the address or -errno. {@code mapFlags}: 1 MAP_FIXED, 2 MAP_LOCKED, 4 MAP_POPULATE.
     */
    @Mirrors(value = "do_mmap", file = "mm/mmap.c", version = "6.x")
    public long sysMmap(long addr, long len, int prot, boolean shared, AddressSpace file, long pgoff, int mapFlags) {
        MmStruct mm = k.currentMm();
        boolean fixed = (mapFlags & 1) != 0;
        if (len == 0) {
            return EINVAL;
        }
        long plen = pageAlign(len);
        if (plen == 0) {
            return ENOMEM;
        }
        if (file != null && Long.compareUnsigned(pgoff + (plen >>> Pgtable.PAGE_SHIFT), pgoff) < 0) {
            return EOVERFLOW;
        }
        mm.mmapLock.downWrite();
        long at = getUnmappedArea(mm, addr, plen, fixed);
        if (at < 0) {
            mm.mmapLock.upWrite();
            return at;
        }
        long defFlags = k.load(mm.name() + "->def_flags", m -> m.read(mm.defFlags), VmFlags::names);
        long vmFlags = protBits(prot) | ((mapFlags & 2) != 0 ? VmFlags.VM_LOCKED : 0) | defFlags | (shared ? VmFlags.VM_SHARED : 0);
        long off = file != null ? pgoff : shared ? 0 : at >>> Pgtable.PAGE_SHIFT;
        mmapRegion(mm, file, at, plen, vmFlags, off, shared && file == null);
        mm.mmapLock.upWrite();
        if ((vmFlags & VmFlags.VM_LOCKED) != 0 || (mapFlags & 4) != 0) {
            k.gup.mmPopulate(mm, at, plen, true);
        }
        return at;
    }

    /**
     * get_unmapped_area (x86 arch_get_unmapped_area_topdown): MAP_FIXED takes addr as it is; a hint
     * (rounded down to a page) is taken when [addr, addr + len) is free; otherwise the highest free
     * range below mm->mmap_base. Returns the address or -errno.
     */
    @Mirrors(value = "__get_unmapped_area", file = "mm/mmap.c", version = "6.x")
    public long getUnmappedArea(MmStruct mm, long addr, long len, boolean fixed) {
        if (Long.compareUnsigned(len, TASK_SIZE) > 0) {
            return ENOMEM;
        }
        if (fixed) {
            if (Long.compareUnsigned(addr, TASK_SIZE - len) > 0) {
                return ENOMEM;
            }
            return (addr & (Pgtable.PAGE_SIZE - 1)) != 0 ? EINVAL : addr;
        }
        long hint = addr & ~(Pgtable.PAGE_SIZE - 1);
        return k.load("vm_unmapped_area(" + Pgtable.hex(hint) + ", " + Pgtable.hex(len) + ")", m -> {
            if (hint != 0 && Long.compareUnsigned(hint, TASK_SIZE - len) <= 0 && free(m, mm, hint, hint + len)) {
                return hint;
            }
            List<long[]> used = new ArrayList<>();
            for (long v = m.read(mm.mmap); v != 0; v = m.read(k.vma((int) v - 1).next)) {
                used.add(new long[] {m.read(k.vma((int) v - 1).start), m.read(k.vma((int) v - 1).end)});
            }
            long at = MMAP_BASE - len;
            for (int i = used.size() - 1; i >= 0; i--) {
                long[] r = used.get(i);
                if (r[0] < at + len && r[1] > at) {
                    at = r[0] - len;
                }
            }
            return at < Pgtable.PAGE_SIZE * 16 ? ENOMEM : at;
        }, Pgtable::hex);
    }

    private boolean free(Memory m, MmStruct mm, long start, long end) {
        for (long v = m.read(mm.mmap); v != 0; v = m.read(k.vma((int) v - 1).next)) {
            Vma x = k.vma((int) v - 1);
            if (m.read(x.start) < end && m.read(x.end) > start) {
                return false;
            }
        }
        return true;
    }

    /**
     * mmap_region: unmap whatever is there, charge a private writable mapping (VM_ACCOUNT), join a
     * neighbour when vma_merge allows, else a new vma (a shared anonymous one gets its shmem object,
     * shmem_zero_setup); count a VM_LOCKED mapping in locked_vm.
     */
    @Mirrors(value = "mmap_region", file = "mm/mmap.c", version = "6.x")
    public Vma mmapRegion(MmStruct mm, AddressSpace file, long addr, long len, long vmFlags, long pgoff, boolean sharedAnon) {
        doMunmap(mm, addr, len);
        if ((vmFlags & (VmFlags.VM_SHARED | VmFlags.VM_WRITE)) == VmFlags.VM_WRITE) {
            vmFlags |= VmFlags.VM_ACCOUNT;
        }
        long flags = vmFlags;
        Vma vma = sharedAnon ? null
                : k.vmaSplit.mergeNewRange(mm, addr, addr + len, new VmaSplit.Candidate(flags, file == null ? 0 : file.id + 1, 0, null, pgoff));
        if (vma == null) {
            vma = vmAreaAlloc(mm, addr, addr + len, pgoff, flags, 0);
            AddressSpace backing = sharedAnon ? shmemZeroSetup(len) : file;
            if (backing != null) {
                Vma v = vma;
                k.step(v.name() + "->vm_file = " + backing.name(), null, m -> {
                    m.write(v.file, backing.id + 1);
                    return 0;
                });
            }
            vmaLink(mm, vma);
        }
        if ((flags & VmFlags.VM_LOCKED) != 0) {
            long pages = len >>> Pgtable.PAGE_SHIFT;
            k.step("mm->locked_vm += " + pages, null, m -> {
                m.write(mm.lockedVm, m.read(mm.lockedVm) + pages);
                return 0;
            });
        }
        return vma;
    }

    /** shmem_zero_setup: a shared anonymous mapping is backed by a new shmem object ("/dev/zero (deleted)") of its size. */
    @Mirrors(value = "shmem_zero_setup", file = "mm/shmem.c", version = "6.x")
    AddressSpace shmemZeroSetup(long len) {
        long pages = len >>> Pgtable.PAGE_SHIFT;
        int id = (int) k.load("shmem_kernel_file_setup(\"dev/zero\", " + Pgtable.hex(len) + ")", m -> {
            for (int i = 0; i < k.fileCount(); i++) {
                AddressSpace as = k.file(i);
                if (m.read(as.allocated) == 0) {
                    m.write(as.allocated, 1);
                    m.write(as.size, pages);
                    return i;
                }
            }
            return -1;
        }, r -> "mapping" + r);
        if (id < 0) {
            throw new ModelError("the model ran out of address_spaces for shared anonymous mappings: raise the scenario's 'files' size", null);
        }
        return k.file(id);
    }

    /**
     * The munmap system call: the range must start on a page and lie below TASK_SIZE; length 0 is
     * EINVAL; a range with nothing mapped is fine.
     */
    @Mirrors(value = "__vm_munmap", file = "mm/mmap.c", version = "6.x")
    public long sysMunmap(long start, long len) {
        if ((start & (Pgtable.PAGE_SIZE - 1)) != 0 || Long.compareUnsigned(start, TASK_SIZE) > 0
                || Long.compareUnsigned(len, TASK_SIZE - start) > 0) {
            return EINVAL;
        }
        len = pageAlign(len);
        if (len == 0) {
            return EINVAL;
        }
        MmStruct mm = k.currentMm();
        mm.mmapLock.downWrite();
        doMunmap(mm, start, len);
        mm.mmapLock.upWrite();
        return 0;
    }

    /**
     * remap_file_pages (<= 3.19): make a shared file vma nonlinear (it moves from i_mmap to
     * i_mmap_nonlinear) and map file page pgoff + i at addr + i pages. Pages not yet cached are
     * read in first; mlock_vma_pages_range runs afterwards for a VM_LOCKED vma, as in the kernel.
     */
    @Mirrors(value = "sys_remap_file_pages", file = "mm/fremap.c", version = "3.16")
    public long remapFilePages(MmStruct mm, long addr, long size, long pgoff) {
        mm.mmapLock.downWrite();
        Vma vma = findVma(mm, addr);
        if (vma == null || readStart(vma) > addr || (vma.readFlags() & VmFlags.VM_SHARED) == 0) {
            mm.mmapLock.upWrite();
            return -22;
        }
        long file = k.load(vma.name() + "->vm_file", m -> m.read(vma.file), r -> "mapping" + (r - 1));
        AddressSpace mapping = k.file((int) file - 1);
        long flags = vma.readFlags();
        if ((flags & VmFlags.VM_NONLINEAR) == 0) {
            mapping.iMmapRwsem.downWrite();
            k.step("vma_nonlinear_insert(" + vma.name() + ")", null, m -> {
                Rmap.remove(m, mapping.iMmap, vma);
                Rmap.insert(m, mapping.iMmapNonlinear, vma, mapping.name() + ".i_mmap_nonlinear");
                return 0;
            });
            writeVmFlags(vma, flags | VmFlags.VM_NONLINEAR, "vma->vm_flags |= VM_NONLINEAR");
            mapping.iMmapRwsem.upWrite();
        }
        for (long i = 0; i < size >>> Pgtable.PAGE_SHIFT; i++) {
            k.memoryC.installFilePte(mm, vma, addr + (i << Pgtable.PAGE_SHIFT), mapping, pgoff + i);
        }
        mm.mmapLock.upWrite();
        if ((flags & VmFlags.VM_LOCKED) != 0) {
            k.gup.mmPopulate(mm, addr, size);
        }
        return 0;
    }

    /**
     * exit_mmap. 3.16 .. 5.16: an OOM victim is reaped here and marked MMF_OOM_SKIP, then mmap_lock
     * is cycled for write so that a reaper inside its read section is waited for; everything else
     * runs with no mmap_lock. Seed 004 (5.17): mmap_lock held for write from unlock_range to the end.
     * 5.19: no unlock_range, and mm->mmap reset to NULL before the lock is dropped.
     */
    @Mirrors(value = "exit_mmap", file = "mm/mmap.c", version = "5.17")
    public void exitMmap(MmStruct mm) {
        if (k.has(Patch.EXIT_MMAP_OOM_VICTIM_REAP) && k.memoryC.testMmFlag(mm, MmStruct.MMF_OOM_VICTIM)) {
            k.oomKill.oomReapTaskMmLocked(mm);
            k.memoryC.setMmFlag(mm, MmStruct.MMF_OOM_SKIP);
            if (k.has(Patch.EXIT_MMAP_OOM_LOCK_CYCLE) && !k.has(Patch.EXIT_MMAP_WRITE_LOCK)) {
                mm.mmapLock.downWrite();
                mm.mmapLock.upWrite();
            }
        }
        boolean writeLocked = k.has(Patch.EXIT_MMAP_WRITE_LOCK) && !k.has(Patch.EXIT_MMAP_LATE_WRITE_LOCK);
        if (writeLocked) {
            mm.mmapLock.downWrite();
        }
        if (!k.has(Patch.EXIT_MMAP_NO_UNLOCK_RANGE)
                && k.load(mm.name() + "->locked_vm", m -> m.read(mm.lockedVm), Long::toString) != 0) {
            unlockRange(first(mm));
        }
        Vma vma = first(mm);
        if (vma == null) {
            if (writeLocked) {
                mm.mmapLock.upWrite();
            }
            return;
        }
        MmMemory.MmuGather tlb = k.memoryC.tlbGatherMmu(mm);
        for (Vma v = vma; v != null; v = next(v)) {
            k.memoryC.unmapPageRange(tlb, v, readStart(v), readEnd(v));
        }
        if (k.has(Patch.EXIT_MMAP_LATE_WRITE_LOCK)) {
            mm.mmapLock.downWrite();
        }
        for (Vma v = vma; v != null; v = next(v)) {
            Vma n = next(v);
            freePgtables(tlb, v, 0, n == null ? 0 : readStart(n));
        }
        k.memoryC.tlbFinishMmu(tlb);
        if (k.has(Patch.EXIT_MMAP_LATE_WRITE_LOCK)) {
            mm.mmapLock.upWrite();
        }
        while (vma != null) {
            Vma n = next(vma);
            removeVma(vma);
            vma = n;
        }
        if (k.has(Patch.EXIT_MMAP_MMAP_NULL)) {
            k.step(mm.name() + "->mmap = NULL", null, m -> {
                m.write(mm.mmap, 0);
                return 0;
            });
        }
        if (writeLocked) {
            mm.mmapLock.upWrite();
        }
    }

    /** unlock_range: munlock every VM_LOCKED vma from start on (exit_mmap's munlock). */
    @Mirrors(value = "unlock_range", file = "mm/mmap.c", version = "5.17")
    void unlockRange(Vma start) {
        for (Vma tmp = start; tmp != null; tmp = next(tmp)) {
            if ((tmp.readFlags() & VmFlags.VM_LOCKED) != 0) {
                MmStruct mm = tmp.readMm();
                long pages = (readEnd(tmp) - readStart(tmp)) >>> Pgtable.PAGE_SHIFT;
                k.step("mm->locked_vm -= " + pages, null, m -> {
                    m.write(mm.lockedVm, m.read(mm.lockedVm) - pages);
                    return 0;
                });
                k.mlock.munlockVmaPagesAll(tmp);
            }
        }
    }

    /** exit_mm: the exiting task lets go of its mm (under task_lock), then drops its mm_users reference. */
    @Mirrors(value = "exit_mm", file = "kernel/exit.c", version = "5.17")
    public void exitMm(MmStruct mm) {
        mm.taskLock.lock();
        k.step("current->mm = NULL", null, m -> {
            m.write(mm.taskMm, 0);
            return 0;
        });
        mm.taskLock.unlock();
        mmput(mm);
    }

    /** mmput: the last user is gone: exit_mmap. */
    @Mirrors(value = "mmput", file = "kernel/fork.c", version = "3.16")
    public void mmput(MmStruct mm) {
        boolean last = k.load("atomic_dec_and_test(&" + mm.name() + "->mm_users)", m -> {
            long u = m.read(mm.users) - 1;
            m.write(mm.users, u);
            return u == 0 ? 1 : 0;
        }, r -> r == 1 ? "last user" : "still used") == 1;
        if (last) {
            exitMmap(mm);
        }
    }

    Vma first(MmStruct mm) {
        long v = k.load(mm.name() + "->mmap", m -> m.read(mm.mmap), r -> r == 0 ? "NULL" : "V" + (r - 1));
        return v == 0 ? null : k.vma((int) v - 1);
    }

    Vma next(Vma vma) {
        long v = k.load(vma.name() + "->vm_next", m -> {
            vma.checkAlive(m);
            return m.read(vma.next);
        }, r -> r == 0 ? "NULL" : "V" + (r - 1));
        return v == 0 ? null : k.vma((int) v - 1);
    }

    /** What copy_vma hands back to move_vma. */
    /** {@code source}: the vma the old range is in now (the new one, if copy_vma merged the source into it). */
    public record Copied(Vma vma, boolean needRmapLocks, long flags, Vma source) {}

    /**
     * copy_vma: the vma for the moved range. If the destination adjoins a vma it may join that one
     * (vma_merge_new_range; an anonymous vma never faulted takes the pgoff of its new address, to
     * make that possible), and need_rmap_locks is then whether the merged vma comes before the old
     * one in rmap order; otherwise (vm_area_dup) a fresh vma linked into the same anon_vmas after
     * the old one, so need_rmap_locks = false.
     */
    @Mirrors(value = "copy_vma", file = "mm/vma.c", version = "6.x")
    public Copied copyVma(Vma vma, long addr, long len, long pgoff) {
        MmStruct mm = vma.readMm();
        boolean adjoins = mergeCandidate(mm, addr, len);
        long flags = vma.readFlags();
        long anon = k.load(vma.name() + "->anon_vma", m -> m.read(vma.anonVma), r -> r == 0 ? "NULL" : "anon_vma" + (r - 1));
        if (anon == 0 && k.vmaSplit.isAnonymous(vma)) {
            pgoff = addr >>> Pgtable.PAGE_SHIFT;
        }
        if (adjoins) {
            long file = k.load(vma.name() + "->vm_file", m -> m.read(vma.file), r -> r == 0 ? "NULL" : "mapping" + (r - 1));
            long vmaStart = readStart(vma);
            Vma merged = k.vmaSplit.mergeNewRange(mm, addr, addr + len, new VmaSplit.Candidate(flags, file, anon, vma, pgoff));
            if (merged != null) {
                // An unfaulted source may have been merged into the new vma itself: then it is the source from now on.
                boolean self = readStart(merged) <= vmaStart && vmaStart < readEnd(merged);
                Vma src = self ? merged : vma;
                boolean needRmapLocks = k.load("new_vma->vm_pgoff <= vma->vm_pgoff?", m -> m.read(merged.pgoff) <= m.read(src.pgoff) ? 1 : 0,
                        Kernel::yesNo) == 1;
                return new Copied(merged, needRmapLocks, flags, src);
            }
        }
        Vma nw = vmAreaAlloc(mm, addr, addr + len, pgoff, flags, anon, vma);
        k.vmaSplit.anonVmaClone(nw, vma, anon);
        vmaLink(mm, nw);
        return new Copied(nw, false, flags, vma);
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
     * do_vmi_munmap: unmap [start, start + len): split the vmas at the ends, take their pages out of
     * locked_vm (and, before 5.18, munlock them first), detach them, zap and free their page tables,
     * free them. Nothing mapped there is fine.
     */
    @Mirrors(value = "do_vmi_munmap", file = "mm/vma.c", version = "6.x")
    public void doMunmap(MmStruct mm, long start, long len) {
        long end = start + len;
        Vma vma = findVma(mm, start);
        if (vma == null || readStart(vma) >= end) {
            return;
        }
        long vs = readStart(vma);
        long ve = readEnd(vma);
        if (vs == start && ve == end) {
            unmapVmas(mm, List.of(vma), start, end, true);
            return;
        }
        if (vs < start) {
            k.vmaSplit.splitVma(vma, start, true);
        }
        List<Vma> in = k.vmaSplit.vmasIn(mm, start, end);
        Vma last = in.get(in.size() - 1);
        if (readEnd(last) > end) {
            k.vmaSplit.splitVma(last, end, false);
        }
        unmapVmas(mm, k.vmaSplit.vmasIn(mm, start, end), start, end, false);
    }

    /**
     * The vmas inside what is unmapped (split at its ends already): locked_vm, munlock (before 5.18),
     * detach, unmap_region, remove_vma. {@code exact}: one vma that is exactly [start, end).
     */
    private void unmapVmas(MmStruct mm, List<Vma> vmas, long start, long end, boolean exact) {
        for (Vma vma : vmas) {
            long vs = exact ? start : readStart(vma);
            long ve = exact ? end : readEnd(vma);
            if (k.has(Patch.MLOCK_COUNT)) {
                if ((vma.readFlags() & VmFlags.VM_LOCKED) != 0) {
                    long pages = (ve - vs) >>> Pgtable.PAGE_SHIFT;
                    k.step("mm->locked_vm -= " + pages, null, m -> {
                        m.write(mm.lockedVm, m.read(mm.lockedVm) - pages);
                        return 0;
                    });
                }
            } else if (k.load(mm.name() + "->locked_vm", m -> m.read(mm.lockedVm), Long::toString) != 0
                    && (vma.readFlags() & VmFlags.VM_LOCKED) != 0) {
                long pages = (ve - vs) >>> Pgtable.PAGE_SHIFT;
                k.step("mm->locked_vm -= " + pages, null, m -> {
                    m.write(mm.lockedVm, m.read(mm.lockedVm) - pages);
                    return 0;
                });
                k.mlock.munlockVmaPagesAll(vma);
            }
        }
        for (Vma vma : vmas) {
            long vs = exact ? start : readStart(vma);
            long ve = exact ? end : readEnd(vma);
            long[] neighbours = detachVmasToBeUnmapped(mm, vma);
            unmapRegion(mm, vma, vs, ve, neighbours[0], neighbours[1]);
            removeVma(vma);
        }
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
        unlinkFileVma(vma);
        k.memoryC.freePgdRange(tlb, start, end, floor, ceiling);
    }

    @Mirrors(value = "remove_vma", file = "mm/mmap.c", version = "5.12.9")
    void removeVma(Vma vma) {
        // The freed vma's fields keep their values, as freed memory does: a later read is caught by its allocated flag.
        k.step("vm_area_free(" + vma.name() + ")", null, m -> {
            vma.checkAlive(m);
            m.write(vma.allocated, 0);
            return 0;
        });
    }

}
