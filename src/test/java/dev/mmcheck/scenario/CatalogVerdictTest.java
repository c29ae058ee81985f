package dev.mmcheck.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmcheck.engine.Explorer;
import dev.mmcheck.engine.Found;
import dev.mmcheck.engine.Minimizer;
import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Result;
import dev.mmcheck.engine.Tracer;
import dev.mmcheck.engine.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every built-in scenario's expected verdicts, obtained by exploring the model, exhaustively. */
class CatalogVerdictTest {

    static List<Arguments> expectations() {
        List<Arguments> out = new ArrayList<>();
        for (Scenario s : Catalog.all()) {
            for (Scenario.Expectation e : s.expectations()) {
                out.add(Arguments.of(s.name(), e.variant(), e.verdict(), e.kind()));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} --variant {1} -> {2} {3}")
    @MethodSource("expectations")
    void exhaustiveExplorationGivesTheExpectedVerdict(String name, String variant, String verdict, String kind) {
        Scenario s = Catalog.builtin(name);
        ScenarioProgram sp = ScenarioProgram.build(s, variant);
        Result r = new Explorer(sp.program, Options.exhaustive()).run();
        assertThat(r.verdict()).isEqualTo(Verdict.valueOf(verdict));
        if (kind != null) {
            assertThat(r.found().violation().kind()).isEqualTo(kind);
            Found min = Minimizer.minimize(sp.program, r.found(), 10);
            Tracer.Trace t = Tracer.replay(ScenarioProgram.build(s, variant).program, min.schedule(), ScenarioProgram.FRAMES);
            assertThat(t.error()).isNull();
            assertThat(t.violation().kind()).isEqualTo(kind);
            // Fewest preemptions first, which may cost steps; then no more steps than before at that count.
            int before = Tracer.replay(sp.program, r.found().schedule(), null).preemptions();
            assertThat(t.preemptions()).isLessThanOrEqualTo(before);
            if (t.preemptions() == before) {
                assertThat(min.schedule().length()).isLessThanOrEqualTo(r.found().schedule().length());
            }
        }
    }

    /** Each reduction that can be switched off, with the options that switch it off. */
    private static final Map<String, Options> WITHOUT = new LinkedHashMap<>();

    static {
        Options all = Options.exhaustive();
        WITHOUT.put("sleep sets", all.withSleepSets(false));
        WITHOUT.put("local steps", all.withLocalSteps(false));
        WITHOUT.put("transactions", all.withTransactions(false));
        WITHOUT.put("lock barriers", all.withLockBarriers(false));
        WITHOUT.put("atomic sections", all.withAtomicSections(false));
        WITHOUT.put("merged histories", all.withMergeHistories(false));
    }

    static List<Arguments> withoutEachReduction() {
        List<Arguments> out = new ArrayList<>();
        for (String reduction : WITHOUT.keySet()) {
            for (Arguments a : expectations()) {
                Object[] e = a.get();
                out.add(Arguments.of(reduction, e[0], e[1], e[2], e[3]));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{1} --variant {2} without {0} -> {3} {4}")
    @MethodSource("withoutEachReduction")
    void verdictIsTheSameWithoutEachReduction(String reduction, String name, String variant, String verdict, String kind) {
        assertVerdict(name, variant, verdict, kind, WITHOUT.get(reduction));
    }

    /**
     * Without state caching only sleep sets and local steps prune, and the count of executions grows fast: these
     * scenarios take from over a second to minutes that way (measured), so they stay out.
     */
    private static final List<String> TOO_BIG_WITHOUT_CACHING = List.of(
            "s000-truncate-cow", "s000-truncate-file", "s001-kosaki-munmap", "s001-kosaki-truncate", "s001-kosaki-migrate");

    static List<Arguments> smallExpectations() {
        return expectations().stream().filter(a -> !TOO_BIG_WITHOUT_CACHING.contains((String) a.get()[0])).toList();
    }

    @ParameterizedTest(name = "{0} --variant {1} without state caching -> {2} {3}")
    @MethodSource("smallExpectations")
    void verdictIsTheSameWithoutStateCaching(String name, String variant, String verdict, String kind) {
        assertVerdict(name, variant, verdict, kind, Options.exhaustive().withStateCaching(false));
    }

    private static void assertVerdict(String name, String variant, String verdict, String kind, Options opts) {
        ScenarioProgram sp = ScenarioProgram.build(Catalog.builtin(name), variant);
        Result r = new Explorer(sp.program, opts).run();
        assertThat(r.verdict()).isEqualTo(Verdict.valueOf(verdict));
        if (kind != null) {
            assertThat(r.found().violation().kind()).isEqualTo(kind);
        }
    }
}
