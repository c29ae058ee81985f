package dev.mmcheck.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmcheck.mm.Config;
import dev.mmcheck.mm.Generation;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Sizes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sequential part of the scenario language: the timeline, fork, observe, outcomes after =>. */
class TimelineTest {
    private static Scenario parse(String text) {
        return ScenarioParser.parse("t.mmc", text);
    }

    @Test
    void processSectionsInterleaveInFileOrderAndForkDeclaresTheChild() {
        Scenario s = parse("""
                scenario t
                process P
                  mmap 0x10000000 8K rw
                  fork C
                process C
                  write 0x10000000
                observe one
                  pages C 0x10000000 a1 .
                process P
                  mlock 0x10000000 8K => 0
                """);
        assertThat(s.processes()).extracting(Scenario.Process::name, Scenario.Process::parent)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("P", null), org.assertj.core.groups.Tuple.tuple("C", "P"));
        assertThat(s.timeline()).hasSize(5);
        assertThat(s.timeline().get(2)).isInstanceOfSatisfying(Scenario.Call.class, c -> assertThat(c.process()).isEqualTo("C"));
        assertThat(s.timeline().get(3)).isInstanceOfSatisfying(Scenario.Observe.class, o -> assertThat(o.checks()).hasSize(1));
        assertThat(s.timeline().get(4)).isInstanceOfSatisfying(Scenario.Call.class, c -> assertThat(c.expect().text()).isEqualTo("0"));
        assertThat(s.cpus()).isEmpty();
    }

    @Test
    void theModelRunsTheTimelineAndReportsEveryOutcome() {
        Scenario s = parse("""
                scenario t
                process P
                  mmap 0x10000000 16K rw
                  mlock 0x10000000 32K => ENOMEM
                  munmap 0x10000001 4K => EINVAL
                  read 0x10008000 => SIGSEGV/SEGV_MAPERR
                  fork C
                process C
                  write 0x10000000
                  exit
                """);
        List<String> seen = new ArrayList<>();
        Timeline.Listener l = new Timeline.Listener() {
            @Override
            public void called(Timeline.Run run, int index, Scenario.Call call, Outcome outcome) {
                seen.add(call.process() + " " + outcome);
                if (call.expect() != null) {
                    assertThat(call.expect().matches(outcome)).as(call.expect().text() + " vs " + outcome).isTrue();
                }
            }

            @Override
            public void observed(Timeline.Run run, int index, Scenario.Observe o) {}
        };
        ScenarioProgram.build(s, new Scenario.Variant("t", "6.x", List.of(), "", new Pos("t", 1, 1)), Generation.K6,
                Kernel.patchesOf(Generation.K6), Config.defaults(), Sizes.defaults(), l);
        assertThat(seen).containsExactly("P 0x10000000", "P -1 ENOMEM", "P -1 EINVAL", "P SIGSEGV/SEGV_MAPERR at 0x10008000", "P 0",
                "C 0", "C 0");
    }

    @Test
    void aFailingSetUpStepIsAnErrorUnlessItsOutcomeIsWritten() {
        String race = """
                scenario t
                process P
                  mmap 0x10000000 8K rw
                  mlock 0x10000000 16K%s
                cpu a P
                  write 0x10000000
                """;
        assertThatThrownBy(() -> ScenarioProgram.build(parse(race.formatted("")), "base"))
                .isInstanceOf(ScenarioError.class).hasMessageContaining("t.mmc:4:3: set-up failed: mlock gave -1 ENOMEM");
        assertThat(ScenarioProgram.build(parse(race.formatted(" => ENOMEM")), "base").program).isNotNull();
    }

    @Test
    void mistakesAreReportedWhereTheyAre() {
        assertThatThrownBy(() -> parse("scenario t\nprocess P\n  fork P\n")).hasMessageContaining("t.mmc:3:3: process 'P' already exists");
        assertThatThrownBy(() -> parse("scenario t\nprocess P\n  exit\n  write 0x10000000\n")).hasMessageContaining("has exited");
        assertThatThrownBy(() -> parse("scenario t\nprocess P\n  mmap 0x10000000 4K rw\ncpu a P\n  write 0x10000000 => 0\n"))
                .hasMessageContaining("a cpu's commands race");
        assertThatThrownBy(() -> parse("scenario t\nprocess P\n  mmap 0x10000000 4K rw\nobserve x\n  pages P 0x10000000 b\n"))
                .hasMessageContaining("t.mmc:5:22: a page is .");
        assertThatThrownBy(() -> ScenarioProgram.build(parse("scenario t\nprocess P\n  mmap 0x10000000 4K rw\n"), "base"))
                .hasMessageContaining("has no 'cpu' section").hasMessageContaining("mmcheck conform");
        assertThatThrownBy(() -> ScenarioProgram.build(parse("scenario t\nsize pages=60 pcp-pages=3\nprocess P\n  mmap 0x10000000 4K rw\n"
                + "cpu a P\n  write 0x10000000\ncpu b P\n  write 0x10000000\n"), "base"))
                .isInstanceOf(ScenarioError.class).hasMessageContaining("pages=60 and pcp-pages=3 for 2 CPUs");
    }
}
