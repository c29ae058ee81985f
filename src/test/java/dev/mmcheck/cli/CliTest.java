package dev.mmcheck.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's contract: exit codes, outputs, and errors that say where. */
class CliTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void violationIsDrawnSavedAndReplayable() throws Exception {
        Path trace = tmp.resolve("t.json");
        Run r = run("check", "s003-mremap-pmd", "--variant", "before", "--save-trace", trace.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("CPU0 mremap", "CPU1 reclaim0", "CPU2 user0", "move_normal_pmd",
                "try_to_unmap_one", "STALE_TLB", "Replay: ./mmcheck replay " + trace);
        assertThat(Files.exists(trace)).isTrue();
        Run again = run("replay", trace.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.out()).contains("STALE_TLB").doesNotContain("Note:");
    }

    @Test
    void verifiedSaysWhatItCovers() {
        Run r = run("check", "s003-mremap-pmd", "--variant", "after");
        assertThat(r.code()).isEqualTo(0);
        assertThat(r.out()).contains("VERIFIED", "3 CPUs", "no preemption bound", "sleep sets", "local steps", "transactions", "states stored");
    }

    @Test
    void eachReductionCanBeSwitchedOffAndSaysSo() {
        Run r = run("check", "s003-mremap-pmd", "--variant", "after", "--no-transactions");
        assertThat(r.code()).isEqualTo(0);
        assertThat(r.out()).contains("VERIFIED", "local steps").doesNotContain("transactions");
        Run random = run("check", "s003-mremap-pmd", "--variant", "after", "--random", "5", "--no-transactions");
        assertThat(random.code()).isEqualTo(2);
        assertThat(random.err()).contains("--no-transactions");
        Run whole = run("check", "s003-mremap-pmd", "--variant", "after", "--no-merge-histories");
        assertThat(whole.code()).isEqualTo(0);
        assertThat(whole.out()).contains("VERIFIED", "state caching").doesNotContain("summarized calls");
        assertThat(run("check", "s003-mremap-pmd", "--variant", "after").out()).contains("summarized calls", "locks still to be taken");
        Run noBarriers = run("check", "s003-mremap-pmd", "--variant", "after", "--no-lock-barriers");
        assertThat(noBarriers.code()).isEqualTo(0);
        assertThat(noBarriers.out()).contains("VERIFIED", "local steps", "atomic sections").doesNotContain("locks still to be taken");
        Run noSections = run("check", "s003-mremap-pmd", "--variant", "after", "--no-atomic-sections");
        assertThat(noSections.code()).isEqualTo(0);
        assertThat(noSections.out()).contains("VERIFIED", "locks still to be taken").doesNotContain("atomic sections");
    }

    @Test
    void jsonHasTheContractFields() throws Exception {
        Run r = run("check", "s003-mremap-pud", "--variant", "v7-pmd-ptl", "--json", "--save-trace", tmp.resolve("x.json").toString());
        assertThat(r.code()).isEqualTo(1);
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("scenario").asText()).isEqualTo("s003-mremap-pud");
        assertThat(j.get("variant").asText()).isEqualTo("v7-pmd-ptl");
        assertThat(j.get("verdict").asText()).isEqualTo("VIOLATION");
        assertThat(j.get("violation").get("kind").asText()).isEqualTo("STALE_TLB");
        assertThat(j.get("trace").isArray()).isTrue();
        assertThat(j.get("trace").size()).isGreaterThan(10);
        assertThat(j.get("stats").get("executions").asLong()).isPositive();
        assertThat(j.get("stats").get("states").asLong()).isPositive();
        assertThat(j.get("stats").has("seconds")).isTrue();
    }

    @Test
    void verifiedJsonHasNullViolationAndCoverage() throws Exception {
        Run r = run("check", "s003-mremap-pmd", "--variant", "after", "--json");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("verdict").asText()).isEqualTo("VERIFIED");
        assertThat(j.get("violation").isNull()).isTrue();
        assertThat(j.get("coverage").get("exhaustive").asBoolean()).isTrue();
        assertThat(j.get("coverage").get("preemptionBound").isNull()).isTrue();
        assertThat(j.get("coverage").get("threads").asInt()).isEqualTo(3);
    }

    @Test
    void aPreemptionBoundBelowWhatTheRaceNeedsVerifiesAndSaysSo() {
        Run r = run("check", "s003-mremap-pmd", "--variant", "before", "--max-preemptions", "1");
        assertThat(r.code()).isEqualTo(0);
        assertThat(r.out()).contains("at most 1 preemption(s)");
    }

    @Test
    void randomSamplingNeverClaimsVerified() {
        Run r = run("check", "s003-mremap-pmd", "--variant", "after", "--random", "20", "--seed", "7");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.out()).contains("INCOMPLETE", "--seed 7");
    }

    @Test
    void badInputsExitTwoAndSayWhere() throws Exception {
        Run v = run("check", "s003-mremap-pmd", "--variant", "nosuch");
        assertThat(v.code()).isEqualTo(2);
        assertThat(v.err()).contains("unknown variant 'nosuch'", "before", "after").doesNotContain("Exception");

        assertThat(run("check", "s003-mremap-pmd", "--max-preemptions", "-1").code()).isEqualTo(2);
        Run seed = run("check", "s003-mremap-pmd", "--seed", "3");
        assertThat(seed.code()).isEqualTo(2);
        assertThat(seed.err()).contains("--seed");
        assertThat(run("check", "s003-mremap-pmd", "--max-preemptions", "x").code()).isEqualTo(2);
        assertThat(run("check", "no-such-scenario").err()).contains("no-such-scenario");
        Run mem = run("check", "s003-mremap-pmd", "--no-state-caching", "--memory", "1G");
        assertThat(mem.code()).isEqualTo(2);
        assertThat(mem.err()).contains("--memory", "--no-state-caching");
        for (String c : new String[] {"check", "list", "locks", "replay", "diff", "equiv", "bench", "conform"}) {
            Run help = run(c, "--help");
            assertThat(help.code()).as(c + " --help").isEqualTo(0);
            assertThat(help.out()).as(c + " --help").contains("Usage: mmcheck " + c);
        }
        Run conform = run("conform", "--random", "-1");
        assertThat(conform.code()).isEqualTo(2);
        assertThat(conform.err()).contains("--random must be at least 1");
        assertThat(run("conform", "--seed", "5", "conformance/").err()).contains("--seed needs --random N");

        Path f = tmp.resolve("bad.mmc");
        Files.writeString(f, "scenario x\nprocess P\n  mmap 0x1000 4K rx\ncpu c P\n  write 0x1000\n");
        Run bad = run("check", f.toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains(f + ":3:18:", "expected rw or ro");

        Path latin1 = tmp.resolve("latin1.mmc");
        Files.write(latin1, new byte[] {'s', 'c', 'e', 'n', 'a', 'r', 'i', 'o', ' ', 'x', '\n', 'p', ' ', (byte) 0xe9, '\n'});
        Run enc = run("check", latin1.toString());
        assertThat(enc.code()).isEqualTo(2);
        assertThat(enc.err()).contains(latin1 + ":2:3:", "not UTF-8");

        Path t = tmp.resolve("trace.json");
        Files.writeString(t, "{\"format\": 1,\n  \"scenario\": }");
        Run tr = run("replay", t.toString());
        assertThat(tr.code()).isEqualTo(2);
        assertThat(tr.err()).contains(t.toString()).doesNotContain("Exception in");
    }

    /** The largest value a built-in parameter declares builds (it once declared a size the pages did not allow). */
    @Test
    void theLargestDeclaredParametersBuild() throws Exception {
        for (String[] c : List.of(new String[] {"s000-munlock-exit", "pages=31"}, new String[] {"s003-mremap-pmd", "pages=16", "users=16"},
                new String[] {"s003-mremap-pud", "pages=16", "users=16"})) {
            List<String> args = new java.util.ArrayList<>(List.of("check", c[0], "--variant", "after", "--max-seconds", "1"));
            for (int i = 1; i < c.length; i++) {
                args.addAll(List.of("--param", c[i]));
            }
            Run r = run(args.toArray(String[]::new));
            assertThat(r.code()).as(String.join(" ", c) + ": " + r.err()).isEqualTo(3);
            assertThat(r.out()).contains("Stopped by the time budget");
        }
    }

    /** A run stopped by the memory budget says which budget: the one given, or the default and how to raise it. */
    @Test
    void aMemoryBudgetSaysWhereItCameFrom() throws Exception {
        Run r = run("check", "s000-munlock-exit", "--variant", "after", "--param", "pages=2", "--memory", "1M", "--workers", "1");
        assertThat(r.code()).as(r.err()).isEqualTo(3);
        assertThat(r.out()).contains("INCOMPLETE", "Stopped by the memory budget (--memory)");
        assertThat(CheckCommand.budgetName("memory", false, 256L << 20)).contains("half the Java heap, 128M", "--memory", "-Xmx");
    }

    @Test
    void parametersKeepToTheirDeclaredRange() throws Exception {
        Run zero = run("check", "s003-mremap-pmd", "--param", "pages=0");
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.err()).contains("--param pages=0: must be between 1 and 16").doesNotContain(".mmc");
        assertThat(run("check", "s000-munlock-exit", "--param", "pages=32").err()).contains("between 1 and 31");
        assertThat(run("list").out()).contains("(default 1, 1..16)", "(default 1, 0..16)");

        Path f = tmp.resolve("p.mmc");
        Files.writeString(f, "scenario x\nparam n 5 1..4 \"text\"\n");
        Run def = run("check", f.toString());
        assertThat(def.code()).isEqualTo(2);
        assertThat(def.err()).contains(f + ":2:9:", "default 5 lies outside 1..4");
        Files.writeString(f, "scenario x\nparam n 1 4 \"text\"\n");
        assertThat(run("check", f.toString()).err()).contains(f + ":2:11:", "expected a range MIN..MAX");
        Files.writeString(f, "scenario x\nparam n 1 3..2\n");
        assertThat(run("check", f.toString()).err()).contains(f + ":2:11:", "found 3..2");
    }

    @Test
    void benchRefusesABadCaseBeforePrintingAnything() {
        Run b = run("bench", "--case", "s003-mremap-pmd:after:pages=1", "--case", "s003-mremap-pmd:zzz:pages=1");
        assertThat(b.code()).isEqualTo(2);
        assertThat(b.err()).contains("unknown variant 'zzz'");
        assertThat(b.out()).isEmpty();
        Run w = run("bench", "--workers", "0", "--case", "s003-mremap-pmd:after");
        assertThat(w.code()).isEqualTo(2);
        assertThat(w.err()).contains("--workers must be between 1 and 64");
    }

    @Test
    void aParameterGivenTwiceIsRefused() {
        Run twice = run("check", "s003-mremap-pmd", "--param", "pages=1", "--param", "pages=2");
        assertThat(twice.code()).isEqualTo(2);
        assertThat(twice.err()).contains("--param pages is given twice");
        assertThat(run("check", "s003-mremap-pmd", "--param", "pages").err()).contains("--param pages: expected NAME=VALUE");
        assertThat(run("diff", "s003-mremap-pmd", "before", "after", "-p", "users=1", "-p", "users=2").code()).isEqualTo(2);
        assertThat(run("bench", "--case", "s003-mremap-pmd:after:pages=1,pages=2").err()).contains("pages is given twice");
        Run zero = run("bench", "--curve", "s003-mremap-pmd:after:pages=0..3");
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.err()).contains("--curve s003-mremap-pmd:after:pages=0", "between 1 and 16");
        assertThat(zero.out()).isEmpty();
        assertThat(run("bench", "--curve", "s003-mremap-pmd:after:pages=1..x").err()).contains("--curve", "whole numbers");
        assertThat(run("bench", "--curve", "s003-mremap-pmd:after:pages=1,users=1..2,pages=3..4").err()).contains("only one parameter");
    }

    @Test
    void aCurveRunsEachSizeInOrder() throws Exception {
        Path json = tmp.resolve("curve.json");
        Run r = run("bench", "--curve", "s003-mremap-pmd:after:pages=1..2,users=0", "--workers", "1", "--json", json.toString());
        assertThat(r.code()).isEqualTo(0);
        assertThat(r.out()).contains("pages=1,users=0  VERIFIED", "pages=2,users=0  VERIFIED").doesNotContain("not tried");
        com.fasterxml.jackson.databind.JsonNode written = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
        assertThat(written.get("notTried")).isEmpty();
        assertThat(written.get("cases")).hasSize(2);
        assertThat(written.get("cases").get(0).get("params").get("pages").asText()).isEqualTo("1");
        assertThat(written.get("cases").get(1).get("params").get("pages").asText()).isEqualTo("2");
    }

    @Test
    void anOutputFileThatCannotBeWrittenIsRefusedBeforeExploring() throws Exception {
        Path file = tmp.resolve("plain-file");
        Files.writeString(file, "x");
        Path under = file.resolve("sub").resolve("t.json"); // its folder would have to be inside a file
        Run check = run("check", "s003-mremap-pmd", "--save-trace", under.toString());
        assertThat(check.code()).isEqualTo(2);
        assertThat(check.err()).contains("--save-trace").doesNotContain("Exception");
        assertThat(check.out()).isEmpty();
        Run bench = run("bench", "--case", "s003-mremap-pmd:after", "--json", under.toString());
        assertThat(bench.code()).isEqualTo(2);
        assertThat(bench.err()).contains("--json").doesNotContain("Exception");
        assertThat(bench.out()).isEmpty();
        Run locks = run("locks", "s003-mremap-pmd", "--dot", tmp.toString());
        assertThat(locks.code()).isEqualTo(2);
        assertThat(locks.err()).contains("--dot", "is a folder");
    }

    @Test
    void aTraceCutShortIsRefusedNotShownAsAWholeExecution() throws Exception {
        Path whole = tmp.resolve("whole.json");
        assertThat(run("check", "s003-mremap-pmd", "--variant", "before", "--save-trace", whole.toString()).code()).isEqualTo(1);
        ObjectMapper m = new ObjectMapper();
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) m.readTree(whole.toFile());
        var schedule = (com.fasterxml.jackson.databind.node.ArrayNode) tree.get("schedule");
        while (schedule.size() > 5) {
            schedule.remove(schedule.size() - 1);
        }
        Path cut = tmp.resolve("cut.json");
        m.writeValue(cut.toFile(), tree);
        Run r = run("replay", cut.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(cut.toString(), "stops after 5 steps", "CPU0 mremap").doesNotContain("Exception");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void theVerdictIsSetAgainstTheScenariosExpectation() throws Exception {
        assertThat(run("check", "s003-mremap-pmd", "--variant", "before").out())
                .contains("the scenario expects VIOLATION STALE_TLB (builtin:s003-mremap-pmd.mmc:18): as expected");
        assertThat(run("check", "s003-mremap-pmd", "--variant", "after").out())
                .contains("the scenario expects VERIFIED (builtin:s003-mremap-pmd.mmc:20): as expected");
        Path f = tmp.resolve("wrong.mmc");
        Files.writeString(f, """
                scenario wrong
                variant after kernel=5.17
                expect after VIOLATION STALE_TLB
                process P
                  mmap 0x40000000 2M rw
                  write 0x40000000
                cpu mover P
                  mremap 0x40000000 2M 2M maymove|fixed 0x80000000
                cpu reclaim P
                  reclaim 0x40000000
                """);
        Run r = run("check", f.toString());
        assertThat(r.code()).isEqualTo(0);
        assertThat(r.out()).contains("the scenario expects VIOLATION STALE_TLB (" + f + ":3): this run found VERIFIED instead");
        JsonNode j = new ObjectMapper().readTree(run("check", f.toString(), "--json").out());
        assertThat(j.get("expectation").asText()).endsWith("this run found VERIFIED instead");
    }

    @Test
    void userScenarioFilesWork() throws Exception {
        Path f = tmp.resolve("mine.mmc");
        Files.writeString(f, """
                scenario my-race
                variant before
                variant after kernel=5.17
                process P
                  mmap 0x40000000 2M rw
                  write 0x40000000
                cpu mover P
                  mremap 0x40000000 2M 2M maymove|fixed 0x80000000
                cpu reclaim P
                  reclaim 0x40000000
                cpu user P
                  write 0x80000000
                """);
        assertThat(run("check", f.toString(), "--variant", "before", "--save-trace", tmp.resolve("m.json").toString()).code()).isEqualTo(1);
        assertThat(run("check", f.toString(), "--variant", "after").code()).isEqualTo(0);
        Run replay = run("replay", tmp.resolve("m.json").toString());
        assertThat(replay.code()).isEqualTo(1);
    }

    @Test
    void listShowsEveryBuiltinWithVariants() {
        Run r = run("list");
        assertThat(r.code()).isEqualTo(0);
        assertThat(r.out()).contains("s003-mremap-pmd", "s003-mremap-pud", "--variant before", "v7-pmd-ptl", "seed 003");
    }
}
