package dev.mmcheck.engine;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Explorers sharing one visited set find what the naive enumeration finds, and their schedules replay. */
class ParallelExplorerTest {

    @Provide
    Arbitrary<RandomProgram> programs() {
        return RandomProgram.arbitrary();
    }

    @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
    void twoWorkersAgreeWithTheNaiveEnumeration(@ForAll("programs") RandomProgram p) {
        NaiveEnumerator.Outcome naive = NaiveEnumerator.enumerate(p);
        for (Options o : new Options[] {Options.exhaustive(), Options.exhaustive().withSleepSets(false), Options.exhaustive().withLocalSteps(false)}) {
          // More workers than cores: workers often meet states another one is still on, and leave
          // them to it from the first or second branching state on (the default is deeper than
          // these programs get).
          for (int workers : new int[] {2, 4}) {
            Result r = Explorer.parallel(p::compile, o, workers, 1 << 24, true, workers == 2 ? 0 : 1);
            assertThat(r.verdict()).isEqualTo(naive.kinds().isEmpty() ? Verdict.VERIFIED : Verdict.VIOLATION);
            assertThat(r.stats().workers()).isEqualTo(workers);
            if (r.found() != null) {
                assertThat(naive.kinds()).containsKey(r.found().violation().kind());
                Tracer.Trace t = Tracer.replay(p.compile(), r.found().schedule(), null);
                assertThat(t.error()).isNull();
                assertThat(t.violation().kind()).isEqualTo(r.found().violation().kind());
            }
          }
        }
    }

    /** The same, with nothing learned before the search: workers learn as they go and restart together. */
    @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
    void workersLearningDuringTheSearchAgreeWithTheNaiveEnumeration(@ForAll("programs") RandomProgram p) {
        NaiveEnumerator.Outcome naive = NaiveEnumerator.enumerate(p);
        for (int workers : new int[] {2, 4}) {
            Result r = Explorer.parallel(p::compile, Options.exhaustive(), workers, 1 << 24, false);
            assertThat(r.verdict()).isEqualTo(naive.kinds().isEmpty() ? Verdict.VERIFIED : Verdict.VIOLATION);
            if (r.found() != null) {
                assertThat(naive.kinds()).containsKey(r.found().violation().kind());
                Tracer.Trace t = Tracer.replay(p.compile(), r.found().schedule(), null);
                assertThat(t.error()).isNull();
                assertThat(t.violation().kind()).isEqualTo(r.found().violation().kind());
            }
            net.jqwik.api.statistics.Statistics.label("restarted").collect(r.stats().restarts() > 0);
        }
    }
}
