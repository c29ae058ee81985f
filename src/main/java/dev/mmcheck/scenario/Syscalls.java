package dev.mmcheck.scenario;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.types.AddressSpace;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.mm.types.VmFlags;
import java.util.Map;

/** Carries out a command on the running CPU through the kernel's entry points. */
final class Syscalls {
    private Syscalls() {}

    static void run(Kernel k, Command c, Page resolved, Map<String, AddressSpace> files) {
        MmStruct mm = k.currentMm();
        switch (c) {
            case Command.Mmap m -> {
                mm.mmapLock.downWrite();
                long flags = (m.writable() ? VmFlags.VM_WRITE : 0) | (m.shared() ? VmFlags.VM_SHARED : 0);
                if (m.file() == null) {
                    k.mmap.mmapRegion(mm, m.addr(), m.len(), flags);
                } else {
                    k.mmap.mmapFile(mm, m.addr(), m.len(), flags, files.get(m.file()), m.pgoff());
                }
                mm.mmapLock.upWrite();
            }
            case Command.Munmap m -> {
                mm.mmapLock.downWrite();
                k.mmap.doMunmap(mm, m.addr(), m.len());
                mm.mmapLock.upWrite();
            }
            case Command.Mprotect m -> k.mmap.mprotect(mm, m.addr(), m.len(), m.writable());
            case Command.Mlock m -> k.mlock.sysMlock(m.addr(), m.len(), m.on());
            case Command.Access a -> k.user.access(a.addr(), a.write());
            case Command.Mremap r -> k.mremap.mremap(r.addr(), r.oldLen(), r.newLen(), r.flags(), r.newAddr());
            case Command.Truncate t -> k.truncate.truncateSetsize(files.get(t.file()), t.size());
            case Command.Exit e -> k.mmap.exitMm(mm);
            case Command.OomVictim o -> k.oomKill.markOomVictim(mm);
            case Command.OomReap o -> k.oomKill.oomReapTask(mm);
            case Command.ProcessMrelease p -> k.oomKill.processMrelease(mm);
            case Command.RemapFilePages r -> k.mmap.remapFilePages(mm, r.addr(), r.size(), r.pgoff());
            case Command.Age a -> {
                if (resolved == null) {
                    throw new ScenarioError(a.pos(), "no page is mapped at " + Pgtable.hex(a.addr()));
                }
                k.rmap.pageReferenced(resolved);
            }
            case Command.Migrate mg -> {
                if (resolved == null) {
                    throw new ScenarioError(mg.pos(), "no page is mapped at " + Pgtable.hex(mg.addr()));
                }
                k.migrate.migratePage(resolved);
            }
            case Command.Reclaim r -> {
                if (resolved == null) {
                    throw new ScenarioError(r.pos(), "no page is mapped at " + Pgtable.hex(r.addr()));
                }
                k.vmscan.reclaimPage(resolved);
            }
        }
        k.checkReturnsUnlocked(name(c));
    }

    static String name(Command c) {
        return switch (c) {
            case Command.Mmap m -> "mmap";
            case Command.Munmap m -> "munmap";
            case Command.Mprotect m -> "mprotect";
            case Command.Mlock m -> m.on() ? "mlock" : "munlock";
            case Command.Access a -> a.write() ? "a user write" : "a user read";
            case Command.Mremap r -> "mremap";
            case Command.Truncate t -> "ftruncate";
            case Command.Exit e -> "exit";
            case Command.OomVictim o -> "mark_oom_victim";
            case Command.OomReap o -> "oom_reap_task";
            case Command.ProcessMrelease p -> "process_mrelease";
            case Command.RemapFilePages r -> "remap_file_pages";
            case Command.Age a -> "page_referenced";
            case Command.Reclaim r -> "shrink_page_list";
            case Command.Migrate mg -> "migrate_pages";
        };
    }
}
