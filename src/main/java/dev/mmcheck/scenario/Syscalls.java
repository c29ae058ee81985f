package dev.mmcheck.scenario;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;

/** Carries out a command on the running CPU through the kernel's entry points. */
final class Syscalls {
    private Syscalls() {}

    static void run(Kernel k, Command c, Page resolved) {
        MmStruct mm = k.currentMm();
        switch (c) {
            case Command.Mmap m -> {
                mm.mmapLock.downWrite();
                k.mmap.mmapRegion(mm, m.addr(), m.len(), ScenarioProgram.vmFlags(m.writable()));
                mm.mmapLock.upWrite();
            }
            case Command.Munmap m -> {
                mm.mmapLock.downWrite();
                k.mmap.doMunmap(mm, m.addr(), m.len());
                mm.mmapLock.upWrite();
            }
            case Command.Access a -> k.user.access(a.addr(), a.write());
            case Command.Mremap r -> k.mremap.mremap(r.addr(), r.oldLen(), r.newLen(), r.flags(), r.newAddr());
            case Command.Reclaim r -> {
                if (resolved == null) {
                    throw new ScenarioError(r.pos(), "reclaim is for CPUs, not for set-up");
                }
                k.vmscan.reclaimPage(resolved);
            }
        }
    }
}
