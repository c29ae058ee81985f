package dev.mmcheck.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mmcheck.engine.Explorer;
import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Result;
import dev.mmcheck.engine.Verdict;
import dev.mmcheck.engine.Violation;
import dev.mmcheck.mm.Kinds;
import dev.mmcheck.mm.lockdep.Chains;
import dev.mmcheck.mm.lockdep.LockGraph;
import dev.mmcheck.mm.lockdep.Lockdep;
import dev.mmcheck.mm.lockdep.Machines;
import dev.mmcheck.scenario.ScenarioProgram;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mmcheck locks, and the lock-order check of mmcheck check. */
class LocksCliTest {
    @TempDir
    Path tmp;

    @Test
    void seed000sQuestionLruLockUnderThePteLockIsInTheDocumentedOrderAndNeverReversed() {
        CliTest.Run r = CliTest.run("locks", "s000-truncate-cow", "--variant", "after");
        assertThat(r.code()).isEqualTo(0);
        assertThat(r.out()).contains("pte lock -> lru_lock   [documented order; reverse never seen]",
                "follow_page_pte > mlock_vma_page > isolate_lru_page, holding ptl(",
                "zap_pte_range > page_remove_rmap > clear_page_mlock > isolate_lru_page, holding ptl(",
                "No cycle among the 8 lock classes", "Every dependency follows the documented order",
                "digraph locks {", "\"pte lock\" -> \"lru_lock\" [color=black");
        assertThat(r.out()).doesNotContain("REVERSE ALSO SEEN", "AGAINST");
    }

    @Test
    void dotGoesToAFileAndBadInputExitsTwo() throws Exception {
        Path dot = tmp.resolve("g.dot");
        CliTest.Run r = CliTest.run("locks", "s003-mremap-pmd", "--variant", "after", "--dot", dot.toString());
        assertThat(r.code()).isEqualTo(0);
        assertThat(r.out()).contains("DOT graph written to " + dot).doesNotContain("digraph");
        assertThat(Files.readString(dot)).startsWith("digraph locks {").contains("\"anon_vma->rwsem\" -> \"pte lock\"");
        assertThat(CliTest.run("locks", "s003-mremap-pmd", "--variant", "nosuch").code()).isEqualTo(2);
        assertThat(CliTest.run("locks").code()).isEqualTo(2);
        assertThat(CliTest.run("locks", "--all", "s003-mremap-pmd").code()).isEqualTo(2);
        CliTest.Run both = CliTest.run("locks", "--all", "--variant", "after");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("--all runs every variant");
    }

    @Test
    void aLockRuleBrokenInSomeExecutionFailsTheLockVerdict() {
        // Seed 003's race seen through the lock rules: reclaim's map_pte re-reads the pmd that
        // mremap has just moved, so it locks another table's lock and clears the pte without its own.
        CliTest.Run r = CliTest.run("locks", "s003-mremap-pmd", "--variant", "before");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("PROTECTION in", "without its pte lock ptl(T7)", "No cycle");
    }

    @Test
    void abbaThatNeverDeadlocksIsLockOrderForCheckAndLocks() {
        // Two workers, each with its own copy of the program: the check joins their graphs.
        List<Lockdep> explored = Collections.synchronizedList(new ArrayList<>());
        Result r = Explorer.parallel(() -> {
            Machines.Machine m = Machines.guardedAbba();
            explored.add(m.k().lockdep);
            return m.program();
        }, Options.exhaustive(), 2, 1 << 24);
        assertThat(r.verdict()).isEqualTo(Verdict.VERIFIED); // no execution deadlocks
        Violation v = CheckCommand.lockOrder(explored);
        assertThat(v.kind()).isEqualTo(Kinds.LOCK_ORDER);
        assertThat(v.message()).contains("lock order cycle pte lock -> lru_lock -> pte lock", "no explored execution did",
                "took lru_lock in guarded > ptl_then_lru > take_lru, holding ptl(", "in guarded > lru_then_ptl, holding lru_lock");

        Machines.Machine m = Machines.guardedAbba();
        LocksCommand.Explored e = LocksCommand.explore(m.program(), -1, 0);
        LockGraph g = m.k().lockdep.graph();
        StringWriter out = new StringWriter();
        boolean bad = LocksCommand.text(new PrintWriter(out, true), "abba", m.program().threads(), e, g,
                new Chains(ScenarioProgram.FRAMES), -1);
        assertThat(bad).isTrue();
        assertThat(out.toString()).contains("pte lock -> lru_lock   [documented order; REVERSE ALSO SEEN]",
                "lru_lock -> pte lock   [AGAINST the documented order; REVERSE ALSO SEEN]", "LOCK_ORDER: lock order cycle")
                .doesNotContain("DEADLOCK");
        assertThat(LocksCommand.dot("abba", g, new Chains(ScenarioProgram.FRAMES)))
                .contains("\"lru_lock\" -> \"pte lock\" [color=red", "\"pte lock\" -> \"lru_lock\" [color=red");
    }

    @Test
    void checkWithoutACycleSaysNothingOfLockOrder() throws Exception {
        CliTest.Run r = CliTest.run("check", "s000-truncate-cow", "--variant", "after", "--json");
        assertThat(r.code()).isEqualTo(0);
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("violation").isNull()).isTrue();
    }
}
