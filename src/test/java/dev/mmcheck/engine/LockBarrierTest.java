package dev.mmcheck.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A lock a thread takes before an access, even one it drops again, keeps the access away from a
 * thread that holds the lock while the first has yet to take it ({@link Taken}). Thread 0 writes
 * x after taking and dropping L; thread 1 reads x holding L. Slots: x = 0, L = 1. No slack.
 */
class LockBarrierTest {
    private static final int X = 0;
    private static final int L = 1;
    private static final Footprint READ_X = new Footprint(new int[] {X}, new int[0]);
    private static final Footprint WRITE_X = new Footprint(new int[0], new int[] {X});
    private static final int[] HOLDS_L = {Lockset.entry(L, false)};
    private static final int[] HOLDS_L_SHARED = {Lockset.entry(L, true)};
    private static final long BOTH = 0b11;

    /** Thread 0 took L (shared or not) at depth 1 and wrote x at depth 3. */
    private static AccessSummary summary(boolean takenShared) {
        AccessSummary s = new AccessSummary(2, 0);
        s.learn(0, WRITE_X, Lockset.EMPTY, 3, Taken.NONE.with(L, takenShared, 1));
        return s;
    }

    /** Thread 0 at {@code depth}, its path having taken what {@code taken} says; thread 1 at 0. */
    private static Where at(long depth, Taken taken) {
        return Where.of(new long[] {depth, 0}, taken, Taken.NONE);
    }

    /** Thread 0 at {@code depth} of the path of {@link #summary}: L taken at depth 1 once past it. */
    private static Where at(long depth) {
        return at(depth, depth > 1 ? Taken.NONE.with(L, false, 1) : Taken.NONE);
    }

    @Test
    void anAccessBehindALockStillToBeTakenIsKeptOutByItsHolder() {
        AccessSummary s = summary(false);
        assertThat(s.isLocal(1, READ_X, BOTH, HOLDS_L, at(0))).as("thread 0 before L").isTrue();
        assertThat(s.isLocal(1, READ_X, BOTH, HOLDS_L, at(1))).as("L is thread 0's next step").isTrue();
        assertThat(s.isLocal(1, READ_X, BOTH, HOLDS_L, at(2))).as("thread 0 past L").isFalse();
        assertThat(s.isLocal(1, READ_X, BOTH, Lockset.EMPTY, at(0))).as("thread 1 without L").isFalse();
        assertThat(s.contradicted()).isFalse();
    }

    @Test
    void aLockTakenAgainBeforeTheAccessKeepsItOutThoughThePathTookItBefore() {
        // Thread 0 takes L at depth 1, drops it, takes it again at depth 4, writes x at depth 6.
        // Slack 8: how far paths may differ does not matter, only which takings the path has made.
        AccessSummary s = new AccessSummary(2, 8);
        s.learn(0, WRITE_X, Lockset.EMPTY, 6, Taken.NONE.with(L, false, 1).with(L, false, 4));
        Taken once = Taken.NONE.with(L, false, 1);
        assertThat(s.isLocal(1, READ_X, BOTH, HOLDS_L, at(3, once))).as("between the two takings").isTrue();
        assertThat(s.isLocal(1, READ_X, BOTH, HOLDS_L, at(4, once))).as("waiting for the second").isTrue();
        assertThat(s.isLocal(1, READ_X, BOTH, HOLDS_L, at(5, once.with(L, false, 4)))).as("past the second").isFalse();
        // A path that writes x right after the first taking contradicts the decisions.
        s.learn(0, WRITE_X, Lockset.EMPTY, 3, once);
        assertThat(s.contradicted()).isTrue();
    }

    @Test
    void aSharedHolderKeepsOutOnlyAnExclusiveTaking() {
        assertThat(summary(false).isLocal(1, READ_X, BOTH, HOLDS_L_SHARED, at(0))).isTrue();
        assertThat(summary(true).isLocal(1, READ_X, BOTH, HOLDS_L_SHARED, at(0))).isFalse();
        assertThat(summary(true).isLocal(1, READ_X, BOTH, HOLDS_L, at(0))).isTrue();
    }

    @Test
    void aPathThatMakesTheAccessWithoutTheLockContradictsTheDecision() {
        AccessSummary s = summary(false);
        assertThat(s.isLocal(1, READ_X, BOTH, HOLDS_L, at(0))).isTrue();
        // Another path of thread 0 writes x at depth 1 having taken nothing.
        s.learn(0, WRITE_X, Lockset.EMPTY, 1, Taken.NONE);
        assertThat(s.contradicted()).isTrue();
        // The search starts again: thread 0's accesses no longer count as barred.
        s.forgetDecisions();
        assertThat(s.isLocal(1, READ_X, BOTH, HOLDS_L, at(0))).isFalse();
    }

    @Test
    void aPathThatTakesTheLockAheadOfTheAccessDoesNotContradict() {
        AccessSummary s = summary(false);
        assertThat(s.isLocal(1, READ_X, BOTH, HOLDS_L, at(0))).isTrue();
        // A longer path: L at depth 2, x at depth 5; and a write long past the decision's depth.
        s.learn(0, WRITE_X, Lockset.EMPTY, 5, Taken.NONE.with(L, false, 2));
        assertThat(s.contradicted()).isFalse();
        assertThat(s.isLocal(1, READ_X, BOTH, HOLDS_L, at(1))).isTrue();
    }
}
