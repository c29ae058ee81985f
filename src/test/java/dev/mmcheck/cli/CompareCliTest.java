package dev.mmcheck.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** mmcheck diff and equiv, on the questions seeds 000 and 002 argue about. */
class CompareCliTest {

    @Test
    void theTtuMunlockShortcutChangesNoOutcome() {
        CliTest.Run r = CliTest.run("diff", "s000-ttu-munlock", "after", "after-no-skip");
        assertThat(r.code()).isEqualTo(0);
        assertThat(r.out()).contains("Identical outcomes");
    }

    @Test
    void pageMlockAfterTheFixIsEquivalentToTryToMunlock() {
        CliTest.Run r = CliTest.run("equiv", "s002-page-mlock", "before", "after");
        assertThat(r.code()).isEqualTo(0);
        assertThat(r.out()).contains("Equivalent");
    }

    @Test
    void pageMlockAsPostedIsNotEquivalentAndSaysWhy() {
        CliTest.Run r = CliTest.run("equiv", "s002-page-mlock", "before", "seed-text");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("Not equivalent", "seed-text reaches MLOCK_STRANDED", "page_mlock_one", "parts at step");
    }

    @Test
    void diffListsWhatOnlyOneVariantReaches() {
        CliTest.Run r = CliTest.run("diff", "s002-page-mlock", "before", "merged");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("Only merged reaches", "LOCK_LEAK", "replayed on before");
    }

    /** Kosaki's claim (seed 001): without the page lock, the same outcomes, whatever races the cluster scan. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"munlock", "munmap", "truncate", "exit", "migrate"})
    void kosakiNolockAndTrylockHaveIdenticalOutcomes(String race) {
        CliTest.Run r = CliTest.run("diff", "s001-kosaki-" + race, "nolock", "trylock");
        assertThat(r.code()).isEqualTo(0);
        assertThat(r.out()).contains("Identical outcomes");
    }

    @Test
    void unknownVariantIsBadInput() {
        CliTest.Run r = CliTest.run("equiv", "s002-page-mlock", "before", "nosuch");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown variant 'nosuch'");
    }
}
