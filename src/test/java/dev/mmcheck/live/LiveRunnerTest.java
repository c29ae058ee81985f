package dev.mmcheck.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.mmcheck.live.LiveOp.MapFlag;
import dev.mmcheck.live.LiveOp.MlockallFlag;
import dev.mmcheck.live.LiveOp.MremapFlag;
import dev.mmcheck.live.LiveOp.Prot;
import dev.mmcheck.live.LiveResult.Fault;
import dev.mmcheck.live.LiveResult.Observation;
import dev.mmcheck.live.LiveResult.PageKind;
import dev.mmcheck.live.LiveResult.PageView;
import dev.mmcheck.live.LiveResult.ProcessView;
import dev.mmcheck.live.LiveResult.RegionView;
import dev.mmcheck.live.LiveResult.VmaView;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real programs on the running kernel. Every program is run twice and the two results must be equal:
 * a result that differs between runs (flaps) is a harness bug, not a kernel finding.
 * Skipped, with the reason, where PFNs and page flags cannot be read (not root).
 */
class LiveRunnerTest {
    private static final long P = LiveProgram.PAGE;

    @BeforeAll
    static void needsLiveKernel() {
        Optional<String> why = LiveRunner.unavailableReason();
        Assumptions.assumeTrue(why.isEmpty(), () -> "live-kernel tests skipped: " + why.orElse(""));
    }

    /** Runs twice; a difference between the runs fails the test. */
    static LiveResult runTwice(LiveProgram program) {
        return runTwice(program, LiveOptions.DEFAULT);
    }

    static LiveResult runTwice(LiveProgram program, LiveOptions options) {
        LiveResult first = LiveRunner.run(program, options);
        LiveResult second = LiveRunner.run(program, options);
        assertThat(second).as("the same program observed twice must give the same result (a flap is a harness bug)%n"
                + "first run:%n%s%nsecond run:%n%s", first.render(), second.render()).isEqualTo(first);
        assertThat(first.kernelRelease()).isNotBlank();
        return first;
    }

    private static ProcessView p(LiveResult r, String label, int process) {
        return r.observations().stream().filter(o -> o.label().equals(label)).findFirst().orElseThrow().process(process);
    }

    private static void assertLocked(PageView page, boolean locked) {
        assertThat(page.present()).as("page %d present", page.index()).isTrue();
        assertThat(page.mlocked()).as("page %d MLOCKED", page.index()).isEqualTo(locked);
        assertThat(page.unevictable()).as("page %d UNEVICTABLE", page.index()).isEqualTo(locked);
    }

    @Test
    void mlockOfAnAnonymousRegionLocksAndPopulatesItsPages() {
        LiveProgram prog = LiveProgram.builder()
                .mmapAnon(0, "A", 0, 4, Prot.READ_WRITE, false)
                .write(0, "A", 0)
                .write(0, "A", 1)
                .observe("touched")
                .mlock(0, Range.region("A"))
                .observe("locked")
                .build();
        LiveResult r = runTwice(prog);
        assertThat(r.steps()).allMatch(LiveResult.StepResult::ok);

        ProcessView touched = p(r, "touched", 0);
        RegionView a = touched.region("A");
        assertThat(a.pages()).extracting(PageView::present).containsExactly(true, true, false, false);
        assertThat(a.page(0).kind()).isEqualTo(PageKind.ANON);
        assertThat(a.page(0).mlocked()).isFalse();
        assertThat(a.page(0).unevictable()).isFalse();
        assertThat(a.page(0).identity()).isNotEqualTo(a.page(1).identity());
        assertThat(touched.vmLckKb()).isZero();

        ProcessView locked = p(r, "locked", 0);
        for (PageView page : locked.region("A").pages()) {
            assertLocked(page, true); // mlock populates the untouched pages too
            assertThat(page.kind()).isEqualTo(PageKind.ANON);
        }
        assertThat(locked.region("A").pages()).extracting(PageView::identity).containsExactly(1, 2, 3, 4);
        assertThat(locked.vmLckKb()).isEqualTo(16);
        assertThat(locked.vmas()).singleElement().satisfies(v -> {
            assertThat(v.start()).isZero();
            assertThat(v.end()).isEqualTo(4 * P);
            assertThat(v.lo()).isTrue();
            assertThat(v.lockedKb()).isEqualTo(16);
            assertThat(v.region()).isEqualTo("A");
        });
    }

    @Test
    void mlockOnFaultLocksOnlyThePagesTouchedLater() {
        LiveProgram prog = LiveProgram.builder()
                .mmapAnon(0, "A", 0, 4, Prot.READ_WRITE, false)
                .mlockOnFault(0, Range.region("A"))
                .observe("locked-on-fault")
                .write(0, "A", 2)
                .observe("one-touched")
                .build();
        LiveResult r = runTwice(prog);
        assertThat(r.steps()).allMatch(LiveResult.StepResult::ok);

        ProcessView before = p(r, "locked-on-fault", 0);
        assertThat(before.region("A").pages()).noneMatch(PageView::present);
        assertThat(before.vmLckKb()).as("VmLck counts the whole VM_LOCKED VMA").isEqualTo(16);
        assertThat(before.vmas()).singleElement().satisfies(v -> assertThat(v.lo()).isTrue());

        ProcessView after = p(r, "one-touched", 0);
        List<PageView> pages = after.region("A").pages();
        assertThat(pages).extracting(PageView::present).containsExactly(false, false, true, false);
        assertLocked(pages.get(2), true);
        assertThat(after.vmLckKb()).isEqualTo(16);
        assertThat(after.vmas()).singleElement().satisfies(v -> assertThat(v.lockedKb()).isEqualTo(4));
    }

    @Test
    void munlockOfTheMiddlePageSplitsTheVma() {
        LiveProgram prog = LiveProgram.builder()
                .mmapAnon(0, "A", 0, 3, Prot.READ_WRITE, false)
                .mlock(0, Range.region("A"))
                .munlock(0, Range.pages("A", 1, 1))
                .observe("split")
                .build();
        LiveResult r = runTwice(prog);
        assertThat(r.steps()).allMatch(LiveResult.StepResult::ok);

        ProcessView v = p(r, "split", 0);
        assertThat(v.vmas()).extracting(VmaView::start, VmaView::end, VmaView::lo, VmaView::lockedKb)
                .containsExactly(
                        tuple(0L, P, true, 4L),
                        tuple(P, 2 * P, false, 0L),
                        tuple(2 * P, 3 * P, true, 4L));
        List<PageView> pages = v.region("A").pages();
        assertLocked(pages.get(0), true);
        assertLocked(pages.get(1), false);
        assertLocked(pages.get(2), true);
        assertThat(v.vmLckKb()).isEqualTo(8);
    }

    @Test
    void copyOnWriteAfterForkGivesTheWriterANewPageAndTheParentKeepsItsOwn() {
        LiveProgram prog = LiveProgram.builder()
                .mmapAnon(0, "A", 0, 2, Prot.READ_WRITE, false)
                .write(0, "A", 0)
                .write(0, "A", 1)
                .fork(0) // P1
                .fork(0) // P2
                .observe("forked")
                .write(1, "A", 0)
                .observe("child-wrote")
                .exit(1)
                .observe("child-exited")
                .build();
        LiveResult r = runTwice(prog);
        assertThat(r.steps()).allMatch(LiveResult.StepResult::ok);
        assertThat(r.steps().get(3).ret()).as("fork returns the new process number").isEqualTo(1);
        assertThat(r.steps().get(4).ret()).isEqualTo(2);

        Observation forked = r.observations().get(0);
        assertThat(forked.processes()).extracting(ProcessView::process).containsExactly(0, 1, 2);
        for (ProcessView proc : forked.processes()) {
            assertThat(proc.region("A").pages()).extracting(PageView::identity).as("P%d", proc.process()).containsExactly(1, 2);
        }

        Observation wrote = r.observations().get(1);
        RegionView parent = wrote.process(0).region("A");
        RegionView writer = wrote.process(1).region("A");
        RegionView sibling = wrote.process(2).region("A");
        assertThat(writer.page(0).identity()).as("the writing child got a page of its own").isNotEqualTo(parent.page(0).identity());
        assertThat(writer.page(0).kind()).isEqualTo(PageKind.ANON);
        assertThat(sibling.page(0).identity()).as("the parent kept the original page, still shared with the other child")
                .isEqualTo(parent.page(0).identity());
        assertThat(List.of(parent.page(1).identity(), writer.page(1).identity(), sibling.page(1).identity()))
                .as("the unwritten page is still shared by all three").containsOnly(parent.page(1).identity());

        Observation exited = r.observations().get(2);
        assertThat(exited.processes()).extracting(ProcessView::process).containsExactly(0, 2);
        assertThat(exited.process(2).region("A").page(0).identity()).isEqualTo(exited.process(0).region("A").page(0).identity());
    }

    @Test
    void accessesThatWouldKillTheProcessAreReportedAsFaultsAndTheRunGoesOn() {
        LiveProgram prog = LiveProgram.builder()
                .file("f", 2)
                .mmapAnon(0, "A", 0, 4, Prot.READ_WRITE, false)
                .mprotect(0, Range.pages("A", 1, 1), Prot.NONE)
                .write(0, "A", 1) // 2: PROT_NONE
                .read(0, "A", 1) // 3
                .munmap(0, Range.pages("A", 2, 1))
                .write(0, "A", 2) // 5: unmapped
                .mprotect(0, Range.pages("A", 3, 1), Prot.READ)
                .write(0, "A", 3) // 7: read-only
                .read(0, "A", 3) // 8: fine (zero page)
                .mmapFile(0, "F", 16, 2, Prot.READ_WRITE, true, "f", 0)
                .write(0, "F", 1) // 10
                .ftruncate(0, "f", 1)
                .read(0, "F", 1) // 12: beyond EOF
                .write(0, "A", 0) // 13: still running
                .observe("end")
                .build();
        LiveResult r = runTwice(prog);
        List<LiveResult.StepResult> s = r.steps();
        assertThat(s.get(2).fault()).isEqualTo(new Fault("SIGSEGV", "SEGV_ACCERR", P));
        assertThat(s.get(3).fault()).isEqualTo(new Fault("SIGSEGV", "SEGV_ACCERR", P));
        assertThat(s.get(5).fault()).isEqualTo(new Fault("SIGSEGV", "SEGV_MAPERR", 2 * P));
        assertThat(s.get(7).fault()).isEqualTo(new Fault("SIGSEGV", "SEGV_ACCERR", 3 * P));
        assertThat(s.get(8).ok()).isTrue();
        assertThat(s.get(10).ok()).isTrue();
        assertThat(s.get(12).fault()).isEqualTo(new Fault("SIGBUS", "BUS_ADRERR", 17 * P));
        assertThat(s.get(13).ok()).isTrue();
        for (int i : new int[] {2, 3, 5, 7, 12}) {
            assertThat(s.get(i).ret()).isEqualTo(-1);
            assertThat(s.get(i).errno()).isNull();
        }

        ProcessView end = p(r, "end", 0);
        assertThat(end.region("A").pages()).extracting(PageView::kind)
                .containsExactly(PageKind.ANON, PageKind.NONE, PageKind.NONE, PageKind.ZERO);
        assertThat(end.region("F").pages()).noneMatch(PageView::present);
        assertThat(end.vmas()).filteredOn(v -> "f".equals(v.file())).singleElement()
                .satisfies(v -> assertThat(v.perms()).isEqualTo("rw-s"));
    }

    @Test
    void unalignedArgumentsFollowTheKernelNotThePosixText() {
        // Linux's mlock() rounds an unaligned start down (mlock(2): "EINVAL (Not on Linux) addr was not a
        // multiple of the page size"), so it succeeds and locks every page the byte range touches;
        // mprotect, munmap and madvise do reject an unaligned start with EINVAL.
        LiveProgram prog = LiveProgram.builder()
                .mmapAnon(0, "A", 0, 4, Prot.READ_WRITE, false)
                .mlock(0, Range.bytes("A", 100, P)) // 1: covers pages 0 and 1
                .mprotect(0, Range.bytes("A", 100, P), Prot.READ) // 2
                .munmap(0, Range.bytes("A", 100, P)) // 3
                .madviseDontneed(0, Range.bytes("A", 100, P)) // 4
                .munlock(0, Range.bytes("A", 2 * P + 1, 1)) // 5: rounds too, nothing locked there
                .observe("end")
                .build();
        LiveResult r = runTwice(prog);
        assertThat(r.steps().get(1).ret()).isZero();
        assertThat(r.steps().get(1).errno()).isNull();
        for (int i : new int[] {2, 3, 4}) {
            assertThat(r.steps().get(i).ret()).isEqualTo(-1);
            assertThat(r.steps().get(i).errno()).as(r.steps().get(i).op()).isEqualTo("EINVAL");
        }
        assertThat(r.steps().get(5).ok()).isTrue();
        ProcessView end = p(r, "end", 0);
        assertThat(end.region("A").pages()).extracting(PageView::mlocked).containsExactly(true, true, false, false);
        assertThat(end.vmLckKb()).isEqualTo(8);
        assertThat(end.vmas()).extracting(VmaView::start, VmaView::end, VmaView::lo).containsExactly(
                tuple(0L, 2 * P, true),
                tuple(2 * P, 4 * P, false));
    }

    @Test
    void aFailingSyscallMayHaveBeenPartlyApplied() {
        LiveProgram prog = LiveProgram.builder()
                .mmapAnon(0, "A", 0, 4, Prot.READ_WRITE, false)
                .write(0, "A", 3)
                .munmap(0, Range.pages("A", 2, 1))
                .mlock(0, Range.region("A")) // 3: runs into the hole
                .mmapAnon(0, "B", 16, 4, Prot.READ_WRITE, false)
                .munmap(0, Range.pages("B", 2, 1))
                .mprotect(0, Range.region("B"), Prot.READ) // 6: runs into the hole
                .observe("after")
                .build();
        LiveResult r = runTwice(prog);
        assertThat(r.steps().get(3).errno()).isEqualTo("ENOMEM");
        assertThat(r.steps().get(6).errno()).isEqualTo("ENOMEM");
        ProcessView v = p(r, "after", 0);
        // mlock locked the VMA before the hole (and counts it) but, having failed, populated nothing
        assertThat(v.vmLckKb()).isEqualTo(8);
        assertThat(v.region("A").pages()).extracting(PageView::present).containsExactly(false, false, false, true);
        assertThat(v.region("A").page(3).mlocked()).isFalse();
        // mprotect changed the part before the hole only
        assertThat(v.vmas()).extracting(VmaView::start, VmaView::end, VmaView::perms, VmaView::lo).containsExactly(
                tuple(0L, 2 * P, "rw-p", true),
                tuple(3 * P, 4 * P, "rw-p", false),
                tuple(16 * P, 18 * P, "r--p", false),
                tuple(19 * P, 20 * P, "rw-p", false));
    }

    @Test
    void mlockallSeesOnlyTheProgramsMappings() {
        // The puppet maps nothing but the program's regions (and the vDSO, which mlock skips),
        // so VmLck after mlockall(MCL_CURRENT) is exactly the program's mappings.
        LiveProgram prog = LiveProgram.builder()
                .file("f", 2)
                .mmapAnon(0, "A", 0, 3, Prot.READ_WRITE, false)
                .mmapFile(0, "F", 8, 2, Prot.READ, false, "f", 0)
                .mmapAnon(0, "S", 16, 1, Prot.READ_WRITE, true)
                .mlockall(0, MlockallFlag.CURRENT, MlockallFlag.FUTURE)
                .mmapAnon(0, "B", 32, 2, Prot.READ_WRITE, false)
                .observe("all-locked")
                .munlockall(0)
                .observe("unlocked")
                .build();
        LiveResult r = runTwice(prog);
        assertThat(r.steps()).allMatch(LiveResult.StepResult::ok);
        ProcessView all = p(r, "all-locked", 0);
        assertThat(all.vmLckKb()).isEqualTo(4 * (3 + 2 + 1 + 2));
        assertThat(all.vmas()).allMatch(VmaView::lo).extracting(VmaView::region).containsExactly("A", "F", "S", "B");
        assertThat(all.regions()).allSatisfy(reg -> assertThat(reg.pages()).allSatisfy(pg -> assertLocked(pg, true)));
        assertThat(all.region("F").pages()).extracting(PageView::kind).containsOnly(PageKind.FILE);
        assertThat(all.region("S").pages()).extracting(PageView::kind).as("shared anonymous memory is shmem").containsOnly(PageKind.FILE);
        assertThat(all.vmas()).filteredOn(v -> "S".equals(v.region())).singleElement()
                .satisfies(v -> assertThat(v.file()).isEqualTo("[shmem]"));

        ProcessView none = p(r, "unlocked", 0);
        assertThat(none.vmLckKb()).isZero();
        assertThat(none.vmas()).noneMatch(VmaView::lo);
        assertThat(none.regions()).allSatisfy(reg -> assertThat(reg.pages()).allSatisfy(pg -> assertLocked(pg, false)));
    }

    @Test
    void mremapMovesLockedPagesAndDontunmapLeavesTheOldRangeEmpty() {
        LiveProgram prog = LiveProgram.builder()
                .mmapAnon(0, "A", 0, 2, Prot.READ_WRITE, false, MapFlag.LOCKED, MapFlag.POPULATE)
                .mremap(0, Range.region("A"), 2, "B", 64, MremapFlag.MAYMOVE, MremapFlag.FIXED)
                .mmapAnon(0, "C", 8, 2, Prot.READ_WRITE, false)
                .write(0, "C", 0)
                .write(0, "C", 1)
                .mremap(0, Range.region("C"), 2, "D", 128, MremapFlag.MAYMOVE, MremapFlag.FIXED, MremapFlag.DONTUNMAP)
                .observe("moved")
                .build();
        LiveResult r = runTwice(prog);
        assertThat(r.steps()).allMatch(LiveResult.StepResult::ok);
        assertThat(r.steps().get(1).ret()).as("mremap returns the new address (as an offset)").isEqualTo(64 * P);
        ProcessView v = p(r, "moved", 0);
        assertThat(v.region("A").pages()).noneMatch(PageView::present);
        assertThat(v.region("B").pages()).allSatisfy(pg -> assertLocked(pg, true));
        assertThat(v.region("C").pages()).noneMatch(PageView::present);
        assertThat(v.region("D").pages()).allMatch(PageView::present);
        assertThat(v.vmas()).extracting(VmaView::start, VmaView::region, VmaView::lo).containsExactly(
                tuple(8 * P, "C", false),
                tuple(64 * P, "B", true),
                tuple(128 * P, "D", false));
        assertThat(v.vmLckKb()).isEqualTo(8);
    }

    /**
     * Why observations drain first. Pages faulted into an mlocked VMA get PG_mlocked at once but are
     * moved to the unevictable list only when this CPU's mlock batch is flushed; undrained, such pages
     * show MLOCKED without UNEVICTABLE until something else flushes the batch, so results flap.
     * Both drains must settle them, identically.
     */
    @Test
    void drainingSettlesThePerCpuBatches() {
        LiveProgram prog = LiveProgram.builder()
                .mmapAnon(0, "A", 0, 8, Prot.READ_WRITE, false)
                .mlockOnFault(0, Range.region("A"))
                .write(0, "A", 0)
                .write(0, "A", 2)
                .write(0, "A", 4)
                .observe("faulted-in")
                .build();
        LiveResult all = runTwice(prog, LiveOptions.DEFAULT.withDrain(LiveOptions.Drain.ALL_CPUS));
        LiveResult pinned = runTwice(prog, LiveOptions.DEFAULT.withDrain(LiveOptions.Drain.PINNED_CPU));
        assertThat(pinned).isEqualTo(all);
        List<PageView> pages = all.observations().get(0).process(0).region("A").pages();
        for (int i : new int[] {0, 2, 4}) {
            assertLocked(pages.get(i), true);
        }

        int unsettled = 0;
        for (int i = 0; i < 5; i++) {
            LiveResult raw = LiveRunner.run(prog, LiveOptions.DEFAULT.withDrain(LiveOptions.Drain.NONE));
            if (!raw.equals(all)) {
                unsettled++;
            }
        }
        System.out.println("[live] without a drain, " + unsettled + " of 5 runs observed unsettled batches");
    }
}
