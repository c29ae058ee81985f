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

    /** mmap of a file at a fixed address: private (COW) or shared. */
    @Mirrors(value = "mmap_region", file = "mm/mmap.c", version = "3.16")
    public Vma mmapFile(MmStruct mm, long addr, long len, long vmFlags, AddressSpace mapping, long pgoff) {
        Vma vma = vmAreaAlloc(mm, addr, addr + len, pgoff, vmFlags | VmFlags.VM_READ, 0);
        k.step(vma.name() + "->vm_file = " + mapping.name(), null, m -> {
            m.write(vma.file, mapping.id + 1);
            return 0;
        });
        vmaLink(mm, vma);
        return vma;
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

    /**
     * mprotect of whole vmas: the new vm_flags (a plain store, which the torn-vm_flags fault model
     * can tear), then change_protection on the present ptes, under mmap_lock for write.
     */
    @Mirrors(value = "mprotect_fixup", file = "mm/mprotect.c", version = "3.16")
    public long mprotect(MmStruct mm, long start, long len, boolean writable) {
        mm.mmapLock.downWrite();
        Vma vma = findVma(mm, start);
        if (vma == null || readStart(vma) > start) {
            mm.mmapLock.upWrite();
            return -12;
        }
        if (readStart(vma) != start || readEnd(vma) != start + len) {
            throw new ModelError("mprotect of part of a vma: vma splitting is not modelled", null);
        }
        long flags = vma.readFlags();
        long newflags = writable ? flags | VmFlags.VM_WRITE : flags & ~VmFlags.VM_WRITE;
        if (newflags != flags) {
            writeVmFlags(vma, newflags, "vma->vm_flags = newflags");
            if (!writable) {
                k.memoryC.changeProtection(mm, vma, start, start + len);
            }
        }
        mm.mmapLock.upWrite();
        return 0;
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
        if (k.load(mm.name() + "->locked_vm", m -> m.read(mm.lockedVm), Long::toString) != 0
                && (vma.readFlags() & VmFlags.VM_LOCKED) != 0) {
            long pages = (end - start) >>> Pgtable.PAGE_SHIFT;
            k.step("mm->locked_vm -= " + pages, null, m -> {
                m.write(mm.lockedVm, m.read(mm.lockedVm) - pages);
                return 0;
            });
            k.mlock.munlockVmaPagesAll(vma);
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
