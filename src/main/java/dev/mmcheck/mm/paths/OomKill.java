package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Vma;
import dev.mmcheck.mm.types.VmFlags;

/**
 * mm/oom_kill.c: marking an OOM victim, the OOM reaper, and process_mrelease. The reaper zaps the
 * private memory of a dying process under mmap_lock for read, skipping VM_LOCKED vmas; whether it
 * may touch the mm at all is decided by MMF_OOM_SKIP, tested under that lock.
 */
public final class OomKill {
    private static final int MAX_OOM_REAP_RETRIES = 2;
    private final Kernel k;

    public OomKill(Kernel k) {
        this.k = k;
    }

    /** mark_oom_victim: while the task still has its mm, pin the struct and flag it. */
    @Mirrors(value = "mark_oom_victim", file = "mm/oom_kill.c", version = "5.17")
    public void markOomVictim(MmStruct mm) {
        mm.taskLock.lock();
        boolean hasMm = k.load("find_lock_task_mm: owner->mm", m -> m.read(mm.taskMm), Kernel::yesNo) != 0;
        if (hasMm) {
            mmgrab(mm);
            k.memoryC.setMmFlag(mm, MmStruct.MMF_OOM_VICTIM);
        }
        mm.taskLock.unlock();
    }

    /** oom_reap_task: try a few times, then give up on the mm for good (MMF_OOM_SKIP). */
    @Mirrors(value = "oom_reap_task", file = "mm/oom_kill.c", version = "5.17")
    public void oomReapTask(MmStruct mm) {
        for (int attempts = 0; attempts < MAX_OOM_REAP_RETRIES; attempts++) {
            if (oomReapTaskMm(mm)) {
                break;
            }
        }
        k.memoryC.setMmFlag(mm, MmStruct.MMF_OOM_SKIP);
    }

    /** oom_reap_task_mm: under a read trylock of mmap_lock, and only if MMF_OOM_SKIP is clear under it. */
    @Mirrors(value = "oom_reap_task_mm", file = "mm/oom_kill.c", version = "5.17")
    boolean oomReapTaskMm(MmStruct mm) {
        if (!mm.mmapLock.downReadTrylock()) {
            return false;
        }
        boolean ret = true;
        if (!k.memoryC.testMmFlag(mm, MmStruct.MMF_OOM_SKIP)) {
            ret = oomReapTaskMmLocked(mm);
        }
        mm.mmapLock.upRead();
        return ret;
    }

    /** __oom_reap_task_mm: zap every private vma that is not VM_LOCKED. */
    @Mirrors(value = "__oom_reap_task_mm", file = "mm/oom_kill.c", version = "5.17")
    public boolean oomReapTaskMmLocked(MmStruct mm) {
        k.memoryC.setMmFlag(mm, MmStruct.MMF_UNSTABLE);
        for (Vma v = k.mmap.first(mm); v != null; v = k.mmap.next(v)) {
            Vma vma = v;
            if (!canMadvLruVma(vma)) {
                continue;
            }
            long flags = vma.readFlags();
            long file = k.load(vma.name() + "->vm_file", m -> m.read(vma.file), r -> r == 0 ? "NULL" : "mapping" + (r - 1));
            if (file == 0 || (flags & VmFlags.VM_SHARED) == 0) {
                MmMemory.MmuGather tlb = k.memoryC.tlbGatherMmu(mm);
                k.memoryC.unmapPageRange(tlb, vma, k.mmap.readStart(vma), k.mmap.readEnd(vma));
                k.memoryC.tlbFinishMmu(tlb);
            }
        }
        return true;
    }

    /**
     * can_madv_lru_vma: not VM_LOCKED (nor hugetlb or pfnmap). This is the reaper's decision to zap
     * the vma: it is only sound if VM_LOCKED cannot change under it, that is, if no munlock of the
     * vma is in progress (checked here: I-REAP-DECISION).
     */
    @Mirrors(value = "can_madv_lru_vma", file = "mm/internal.h", version = "5.17")
    boolean canMadvLruVma(Vma vma) {
        boolean reapsLocked = k.has(Patch.OOM_REAP_LOCKED_VMAS);
        return k.load(vma.name() + "->vm_flags & VM_LOCKED?", m -> {
            vma.checkAlive(m);
            long flags = m.read(vma.flags);
            if (reapsLocked) {
                return 1; // 5.18+: VM_LOCKED is no obstacle (no VM_HUGETLB or VM_PFNMAP vmas are modelled)
            }
            if ((flags & VmFlags.VM_LOCKED) == 0 && m.read(vma.munlocking) != 0) {
                m.violate(Kinds.REAP_RACE, "the reaper decided to zap " + vma.name()
                        + " (VM_LOCKED already clear) while exit's munlock of it is still walking its page tables");
            }
            return (flags & VmFlags.VM_LOCKED) == 0 ? 1 : 0;
        }, r -> r == 1 ? "not locked: reap" : "VM_LOCKED: skip") == 1;
    }

    /**
     * process_mrelease(pidfd): reap a dying process's memory now. 5.16 pins mm_users
     * (mmget_not_zero), so exit_mmap cannot start meanwhile, and its mmput may run exit_mmap here;
     * 5.17 pins only the struct (mmgrab) and re-checks MMF_OOM_SKIP under mmap_lock.
     */
    @Mirrors(value = "sys_process_mrelease", file = "mm/oom_kill.c", version = "5.17")
    public long processMrelease(MmStruct mm) {
        mm.taskLock.lock();
        if (k.load("find_lock_task_mm: owner->mm", m -> m.read(mm.taskMm), Kernel::yesNo) == 0) {
            mm.taskLock.unlock();
            return -3; // ESRCH
        }
        boolean mmgrab = k.has(Patch.PROCESS_MRELEASE_MMGRAB);
        if (mmgrab) {
            mmgrab(mm);
        } else if (!mmgetNotZero(mm)) {
            mm.taskLock.unlock();
            return 0; // the mm is already being torn down: nothing to do
        }
        mm.taskLock.unlock();
        mm.mmapLock.downRead();
        if (!mmgrab || !k.memoryC.testMmFlag(mm, MmStruct.MMF_OOM_SKIP)) {
            oomReapTaskMmLocked(mm);
        }
        mm.mmapLock.upRead();
        if (mmgrab) {
            mmdrop(mm);
        } else {
            k.mmap.mmput(mm);
        }
        return 0;
    }

    void mmgrab(MmStruct mm) {
        k.step("mmgrab(" + mm.name() + ")", null, m -> {
            m.write(mm.count, m.read(mm.count) + 1);
            return 0;
        });
    }

    void mmdrop(MmStruct mm) {
        k.step("mmdrop(" + mm.name() + ")", null, m -> {
            m.write(mm.count, m.read(mm.count) - 1);
            return 0;
        });
    }

    boolean mmgetNotZero(MmStruct mm) {
        return k.load("mmget_not_zero(" + mm.name() + ")", m -> {
            long u = m.read(mm.users);
            if (u == 0) {
                return 0;
            }
            m.write(mm.users, u + 1);
            return 1;
        }, Kernel::yesNo) == 1;
    }
}
