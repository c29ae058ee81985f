package dev.mmcheck.conform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmcheck.live.LiveRunner;
import dev.mmcheck.mm.Generation;
import dev.mmcheck.mm.Patch;
import dev.mmcheck.scenario.Catalog;
import dev.mmcheck.scenario.Scenario;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The conformance corpus (conformance/ at the repository root): every scenario's own expectations
 * hold on the model of the 6.x generation, always; where this machine lets us read the live kernel's
 * oracles (root: PFNs in pagemap, /proc/kpageflags), the model and the live kernel agree on every
 * scenario, and a deliberately broken model rule is caught with a diff naming the page and the flag.
 */
class ConformanceTest {
    private static final Path CORPUS = Path.of("conformance");

    static List<Path> corpus() throws IOException {
        try (Stream<Path> s = Files.list(CORPUS)) {
            return s.filter(p -> p.toString().endsWith(".mmc")).sorted().toList();
        }
    }

    private static Generation running() {
        Generation g = Generation.ofRelease(Conform.runningRelease());
        return g == null ? Generation.K6 : g;
    }

    private static void needLive() {
        Optional<String> why = LiveRunner.unavailableReason();
        Assumptions.assumeTrue(why.isEmpty(), () -> "live-kernel conformance skipped: " + why.orElse("")
                + " (the model-only expectations of the corpus are checked by modelExpectations)");
    }

    @Test
    void theCorpusIsBigEnough() throws IOException {
        assertThat(corpus()).hasSizeGreaterThanOrEqualTo(60);
    }

    @TestFactory
    Stream<DynamicTest> modelExpectations() throws IOException {
        return corpus().stream().map(p -> DynamicTest.dynamicTest("model " + p.getFileName(), () -> {
            Scenario s = Catalog.load(p.toString());
            Conform.Report r = Conform.run(s, new Conform.Options(Generation.K6, false, 1));
            assertThat(r.status()).as("%s: %s %s", p, r.differences(), r.error()).isEqualTo(Conform.Status.MODEL_ONLY);
        }));
    }

    @TestFactory
    Stream<DynamicTest> liveKernelAgrees() throws IOException {
        needLive();
        Generation gen = running();
        return corpus().stream().map(p -> DynamicTest.dynamicTest("live " + p.getFileName(), () -> {
            Scenario s = Catalog.load(p.toString());
            Conform.Report r = Conform.run(s, new Conform.Options(gen, true, 2));
            assertThat(r.status()).as("%s:%n%s%n%s%nmodel:%n%s%nlive:%n%s", p, String.join("\n", r.differences()), r.error(),
                    r.modelRender(), r.liveRender()).isEqualTo(Conform.Status.PASS);
        }));
    }

    /** The model with one rule broken: a private VM_LOCKED vma made writable is no longer populated at once. */
    private static void breakMprotectPopulate() {
        Conform.overridePatches(p -> {
            EnumSet<Patch> broken = EnumSet.copyOf(p);
            broken.remove(Patch.MPROTECT_LOCKED_POPULATE);
            return broken;
        });
    }

    /**
     * Break one rule of the model (mprotect_fixup's "private VM_LOCKED VMA becoming writable:
     * trigger COW", by taking its patch out of the generation): conform must fail on the scenario
     * that shows it and say which page and which flag.
     */
    @Test
    void aBrokenModelRuleIsCaughtWithThePageAndTheFlag() {
        needLive();
        Scenario s = Catalog.load(CORPUS.resolve("037-mprotect-locked-writable.mmc").toString());
        breakMprotectPopulate();
        try {
            Conform.Report r = Conform.run(s, new Conform.Options(running(), true, 1));
            assertThat(r.status()).isEqualTo(Conform.Status.FAIL);
            assertThat(r.differences()).anySatisfy(d -> assertThat(d)
                    .contains("observe rw")
                    .contains("region 0x10000000 page 1 (0x10001000)")
                    .contains("MLOCKED: model no, live yes"));
            assertThat(r.differences()).anySatisfy(d -> assertThat(d)
                    .contains("region 0x10000000 page 1 (0x10001000)")
                    .contains("the zero page in the model, an anonymous page live"));
        } finally {
            Conform.overridePatches(null);
        }
        assertThat(Conform.run(s, new Conform.Options(running(), true, 1)).status()).isEqualTo(Conform.Status.PASS);
    }

    /** Without the live kernel the same broken rule is still caught, by the scenario's own expectations. */
    @Test
    void aBrokenModelRuleIsCaughtByTheExpectationsOnTheModelAlone() {
        Scenario s = Catalog.load(CORPUS.resolve("037-mprotect-locked-writable.mmc").toString());
        breakMprotectPopulate();
        try {
            Conform.Report r = Conform.run(s, new Conform.Options(Generation.K6, false, 1));
            assertThat(r.status()).isEqualTo(Conform.Status.FAIL);
            assertThat(r.differences()).anySatisfy(d -> assertThat(d).contains("page 0x10001000").contains("expected a2MU"));
        } finally {
            Conform.overridePatches(null);
        }
    }

    /**
     * Every race's set-up is written in the same language and is itself a program the live kernel
     * runs: built there and on the model of the running kernel, they agree (the 3.x nonlinear set-ups,
     * with remap_file_pages, are the exception, and conform says so).
     */
    @TestFactory
    Stream<DynamicTest> raceSetUpsAreBuiltTheSameByTheLiveKernel() {
        needLive();
        Generation gen = running();
        return Catalog.all().stream().map(s -> DynamicTest.dynamicTest("set-up " + s.name(), () -> {
            Conform.Report r = Conform.runSetup(s, new Conform.Options(gen, true, 1));
            boolean nonlinear = s.timeline().stream().anyMatch(x -> x instanceof Scenario.Call c
                    && c.command() instanceof dev.mmcheck.scenario.Command.RemapFilePages);
            if (nonlinear) {
                assertThat(r.status()).isEqualTo(Conform.Status.ERROR);
                assertThat(r.error()).contains("not a system call conform can run");
            } else {
                assertThat(r.status()).as("%s: %s %s", s.name(), r.differences(), r.error()).isEqualTo(Conform.Status.PASS);
            }
        }));
    }

    /** Random sequential programs (a fixed seed): the model and the live kernel agree on each. */
    @TestFactory
    Stream<DynamicTest> randomProgramsAgree() {
        needLive();
        Generation gen = running();
        return java.util.stream.IntStream.range(0, 40).mapToObj(i -> DynamicTest.dynamicTest("random 20261122/" + i, () -> {
            String text = RandomPrograms.program(20261122L, i);
            Scenario s = dev.mmcheck.scenario.ScenarioParser.parse("random-" + i + ".mmc", text);
            Conform.Report r = Conform.run(s, new Conform.Options(gen, true, 1));
            if (r.status() == Conform.Status.ERROR && r.error() != null && r.error().contains("has no room")) {
                return; // beyond the model's fixed pools: nothing to compare
            }
            assertThat(r.status()).as("%s%n%s%n%s", text, String.join("\n", r.differences()), r.error()).isEqualTo(Conform.Status.PASS);
        }));
    }

    /** A scenario with cpu sections is a race: conform says it runs sequential scenarios only. */
    @Test
    void aRaceScenarioIsRefusedWithAReason() {
        Scenario s = Catalog.builtin("s003-mremap-pmd");
        Conform.Report r = Conform.run(s, new Conform.Options(Generation.K6, false, 1));
        assertThat(r.status()).isEqualTo(Conform.Status.ERROR);
        assertThat(r.error()).contains("has cpu sections").contains("sequential");
    }
}
