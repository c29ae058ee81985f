package dev.mmcheck.scenario;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.types.AddressSpace;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.Pgtable;
import java.util.Map;

/**
 * Carries out a command on the running CPU through the kernel's entry points, and says what the
 * system call returned ({@link Outcome}).
 */
final class Syscalls {
    private Syscalls() {}

    static Outcome run(Kernel k, Command c, Page resolved, Map<String, AddressSpace> files) {
        return run(k, c, resolved, files, Map.of());
    }

    /** {@code mms}: the processes by name, for fork (the child's mm is ready and empty). */
    static Outcome run(Kernel k, Command c, Page resolved, Map<String, AddressSpace> files, Map<String, MmStruct> mms) {
        MmStruct mm = k.currentMm();
        long ret = 0;
        switch (c) {
            case Command.Mmap m -> ret = k.mmap.sysMmap(m.addr(), m.len(), m.prot(), m.shared(),
                    m.file() == null ? null : files.get(m.file()), m.pgoff(), m.flags());
            case Command.Munmap m -> ret = k.mmap.sysMunmap(m.addr(), m.len());
            case Command.Mprotect m -> ret = k.mprotect.sysMprotect(m.addr(), m.len(), m.prot());
            case Command.Mlock m -> ret = m.on() ? k.mlock.sysMlock(m.addr(), m.len(), true) : k.mlock.sysMunlock(m.addr(), m.len());
            case Command.Mlock2 m -> ret = k.mlock.sysMlock2(m.addr(), m.len(), m.flags());
            case Command.Mlockall m -> ret = k.mlock.sysMlockall(m.flags());
            case Command.Munlockall m -> ret = k.mlock.sysMunlockall();
            case Command.Madvise m -> ret = k.madvise.sysMadvise(m.addr(), m.len(), m.advice());
            case Command.Fork f -> {
                MmStruct child = mms.get(f.child());
                if (child == null) {
                    throw new ScenarioError(f.pos(), "fork: no process '" + f.child() + "' to create");
                }
                ret = k.fork.sysFork(child);
            }
            case Command.Access a -> {
                int fault = k.user.accessFault(a.addr(), a.write());
                if (fault != 0) {
                    k.checkReturnsUnlocked(name(c));
                    long page = a.addr() & ~(Pgtable.PAGE_SIZE - 1);
                    return switch (fault) {
                        case dev.mmcheck.mm.paths.User.SEGV_MAPERR -> Outcome.fault("SIGSEGV", "SEGV_MAPERR", page);
                        case dev.mmcheck.mm.paths.User.SEGV_ACCERR -> Outcome.fault("SIGSEGV", "SEGV_ACCERR", page);
                        default -> Outcome.fault("SIGBUS", "BUS_ADRERR", page);
                    };
                }
            }
            case Command.Mremap r -> ret = k.mremap.mremap(r.addr(), r.oldLen(), r.newLen(), r.flags(), r.newAddr());
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
        return Outcome.of(ret);
    }

    static String name(Command c) {
        return switch (c) {
            case Command.Mmap m -> "mmap";
            case Command.Munmap m -> "munmap";
            case Command.Mprotect m -> "mprotect";
            case Command.Mlock m -> m.on() ? "mlock" : "munlock";
            case Command.Mlock2 m -> "mlock2";
            case Command.Mlockall m -> "mlockall";
            case Command.Munlockall m -> "munlockall";
            case Command.Madvise m -> "madvise";
            case Command.Fork f -> "fork";
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
