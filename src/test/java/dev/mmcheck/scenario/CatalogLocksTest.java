package dev.mmcheck.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmcheck.engine.Explorer;
import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Result;
import dev.mmcheck.engine.Verdict;
import dev.mmcheck.mm.lockdep.Chains;
import dev.mmcheck.mm.lockdep.LockGraph;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The lock graph of every built-in scenario, every variant, explored exhaustively and past any
 * violation (as mmcheck locks does): no cycle, and every dependency in the documented order; and
 * no cycle in their union either (mmcheck locks --all), which a lock order split across two
 * scenarios would make.
 */
class CatalogLocksTest {
    private static final List<LockGraph> GRAPHS = Collections.synchronizedList(new ArrayList<>());

    static List<Arguments> variants() {
        List<Arguments> out = new ArrayList<>();
        for (Scenario s : Catalog.all()) {
            for (Scenario.Variant v : s.variants()) {
                out.add(Arguments.of(s.name(), v.name()));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "mmcheck locks {0} --variant {1}: acyclic, in the documented order")
    @MethodSource("variants")
    void theLockGraphHasNoCycleAndKeepsTheDocumentedOrder(String name, String variant) {
        Scenario s = Catalog.builtin(name);
        ScenarioProgram sp = ScenarioProgram.build(s, variant);
        Result r = new Explorer(sp.program, Options.exhaustive().withPreemptionBound(s.preemptionBound()).withStopAtFirst(false)).run();
        assertThat(r.verdict()).isNotEqualTo(Verdict.INCOMPLETE);
        LockGraph g = sp.kernel.lockdep.graph();
        assertThat(g.lockOrderViolation(new Chains(ScenarioProgram.FRAMES))).isNull();
        assertThat(g.against()).isEmpty();
        assertThat(g.edges()).isNotEmpty();
        GRAPHS.add(g);
    }

    @AfterAll
    static void theUnionOfTheCatalogsGraphsHasNoCycleEither() {
        LockGraph union = LockGraph.union(List.copyOf(GRAPHS));
        assertThat(union.cycles()).isEmpty();
        assertThat(union.against()).isEmpty();
    }
}
