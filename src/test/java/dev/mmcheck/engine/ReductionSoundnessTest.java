package dev.mmcheck.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmcheck.engine.RandomProgram.Instr;
import dev.mmcheck.engine.RandomProgram.Kind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Soundness of the explorer's reductions, against {@link NaiveEnumerator} on random programs
 * (which may fail anywhere, the initial state included: an assertion before a thread's first step,
 * a step check that fails at once).
 *
 * <p>Every reduction (state caching + sleep sets, either alone, neither) must reach exactly the
 * final states the naive enumeration reaches and find exactly the violation kinds it finds, whether
 * it stops at the first violation or goes on past violations (of any kind, or of the kinds it is
 * not looking for); a preemption bound must reach exactly the states and kinds reachable within
 * it; every reported schedule must replay to its violation; the minimizer must keep the kind and
 * find the best schedule (fewest preemptions, then fewest steps). The examples at the end are the
 * smallest programs for the cases that are easy to get wrong: going on past a violation with
 * sleep sets, and a violation in the initial state.
 */
class ReductionSoundnessTest {

    /**
     * Tries per property. Edge cases are off: for this generator they are only the smallest
     * programs, and computing them for the nested arbitrary costs more than all the tries.
     */
    private static final int TRIES = 250;

    @Provide
    Arbitrary<RandomProgram> programs() {
        return RandomProgram.arbitrary();
    }

    /** Programs with at least one reachable violation: the only ones that give schedules. */
    @Provide
    Arbitrary<RandomProgram> failingPrograms() {
        return RandomProgram.arbitrary().filter(p -> !NaiveEnumerator.enumerate(p).kinds().isEmpty());
    }

    /**
     * The random programs' threads take a few steps each, fewer than the default slack before an
     * access counts as past ({@link Options#pastSlack}), so the properties use none: the rule at its
     * strictest, where a wrong step is taken for past as soon as its thread moves on.
     */
    private static final Options STRICT = Options.exhaustive().withPastSlack(0);
    private static final Options EXHAUSTIVE = STRICT;
    private static final Options NO_SLEEP = STRICT.withSleepSets(false);
    private static final Options NO_CACHE = STRICT.withStateCaching(false);
    private static final Options NO_REDUCTION = STRICT.withSleepSets(false).withStateCaching(false).withLocalSteps(false);
    private static final Options NO_LOCAL = STRICT.withLocalSteps(false);
    private static final Options LOCAL_ONLY = NO_REDUCTION.withLocalSteps(true);

    // ------------------------------------------------------------------ (a), (b)

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void cachingAndSleepSetsMatchNaive(@ForAll("programs") RandomProgram p) {
        collectStatistics(p, NaiveEnumerator.enumerate(p));
        matchesNaive(p, EXHAUSTIVE);
    }

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void cachingWithoutSleepSetsMatchesNaive(@ForAll("programs") RandomProgram p) {
        matchesNaive(p, NO_SLEEP);
    }

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void sleepSetsWithoutCachingMatchNaive(@ForAll("programs") RandomProgram p) {
        matchesNaive(p, NO_CACHE);
    }

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void noReductionMatchesNaive(@ForAll("programs") RandomProgram p) {
        matchesNaive(p, NO_REDUCTION);
    }

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void cachingAndSleepSetsWithoutLocalStepsMatchNaive(@ForAll("programs") RandomProgram p) {
        matchesNaive(p, NO_LOCAL);
    }

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void localStepsAloneMatchNaive(@ForAll("programs") RandomProgram p) {
        matchesNaive(p, LOCAL_ONLY);
    }

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void localStepsWithoutTransactionsMatchNaive(@ForAll("programs") RandomProgram p) {
        matchesNaive(p, STRICT.withTransactions(false));
    }

    /** The options every run of the CLI uses: the default slack before an access counts as past. */
    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void defaultOptionsMatchNaive(@ForAll("programs") RandomProgram p) {
        matchesNaive(p, Options.exhaustive());
    }

    /**
     * Local steps with nothing learned before the search: it learns as it goes, and whenever what
     * it learns contradicts a step it took as local, it starts again. Whatever it ends with must be
     * what the naive enumeration finds.
     */
    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void localStepsLearnedDuringTheSearchMatchNaive(@ForAll("programs") RandomProgram p) {
        NaiveEnumerator.Outcome naive = NaiveEnumerator.enumerate(p);
        Program prog = p.compile();
        for (Options o : List.of(EXHAUSTIVE, LOCAL_ONLY, NO_CACHE)) {
            Result first = new Explorer(prog, o.withStopAtFirst(true)).learningFirst(false).run();
            assertThat(first.verdict()).as("verdict under %s", o)
                    .isEqualTo(naive.kinds().isEmpty() ? Verdict.VERIFIED : Verdict.VIOLATION);
            Set<List<Long>> finals = new HashSet<>();
            Result all = new Explorer(prog, o.withStopAtFirst(false), m -> {
                List<Long> state = new ArrayList<>();
                for (int i = 0; i < p.slots(); i++) {
                    state.add(m.peek(i));
                }
                finals.add(state);
            }).learningFirst(false).run();
            assertThat(finals).as("final states under %s", o).isEqualTo(naive.finals().keySet());
            assertThat(kindsWithoutLearning(prog, o)).as("kinds under %s", o).isEqualTo(new TreeSet<>(naive.kinds().keySet()));
            Statistics.label("restarted").collect(all.stats().restarts() > 0);
        }
    }

    private static Set<String> kindsWithoutLearning(Program prog, Options base) {
        Set<String> kinds = new TreeSet<>();
        for (String k : RandomProgram.KINDS) {
            if (new Explorer(prog, base.withKind(k).withStopAtFirst(true)).learningFirst(false).run().found() != null) {
                kinds.add(k);
            }
        }
        return kinds;
    }

    /**
     * Same final states as the naive enumeration; a violation iff it has one, of a kind it has; and
     * exactly its kinds when looking for one kind at a time.
     */
    private static void matchesNaive(RandomProgram p, Options base) {
        NaiveEnumerator.Outcome naive = NaiveEnumerator.enumerate(p);
        Program prog = p.compile();

        Result first = new Explorer(prog, base.withStopAtFirst(true)).run();
        assertThat(first.verdict()).as("verdict").isEqualTo(naive.kinds().isEmpty() ? Verdict.VERIFIED : Verdict.VIOLATION);
        if (first.found() != null) {
            assertThat(naive.kinds()).as("kinds").containsKey(first.found().violation().kind());
        }

        Run all = explore(p, prog, base.withStopAtFirst(false));
        assertThat(all.finals()).as("final states").isEqualTo(naive.finals().keySet());
        assertThat(all.result().verdict()).as("verdict, going on after violations").isEqualTo(first.verdict());
        if (all.result().found() != null) {
            assertThat(naive.kinds()).as("kinds").containsKey(all.result().found().violation().kind());
        }

        Set<String> kinds = new TreeSet<>();
        for (String k : RandomProgram.KINDS) {
            Result r = new Explorer(prog, base.withKind(k)).run();
            if (r.found() != null) {
                assertThat(r.found().violation().kind()).isEqualTo(k);
                kinds.add(k);
            }
            // Going on past violations of other kinds must not lose any final state either.
            Run rest = explore(p, prog, base.withKind(k).withStopAtFirst(false));
            assertThat(rest.finals()).as("final states, kind " + k).isEqualTo(naive.finals().keySet());
            assertThat(rest.result().found() != null).as("found " + k).isEqualTo(r.found() != null);
        }
        assertThat(kinds).as("violation kinds").isEqualTo(new TreeSet<>(naive.kinds().keySet()));
    }

    // ------------------------------------------------------------------ (c)

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void preemptionBoundsGrowMonotonicallyToTheFullSet(@ForAll("programs") RandomProgram p, @ForAll boolean caching) {
        NaiveEnumerator.Outcome naive = NaiveEnumerator.enumerate(p);
        Program prog = p.compile();
        // Sleep sets stay on: a preemption bound must switch them off by itself.
        Options base = EXHAUSTIVE.withStateCaching(caching).withStopAtFirst(false);
        Set<List<Long>> previous = Set.of();
        for (int b = 0; b <= 2; b++) {
            Run r = explore(p, prog, base.withPreemptionBound(b));
            assertThat(naive.finals().keySet()).as("bound %d within the unbounded set", b).containsAll(r.finals());
            assertThat(r.finals()).as("bound %d contains bound %d", b, b - 1).containsAll(previous);
            assertThat(r.finals()).as("bound %d: exactly the states reachable within it", b)
                    .isEqualTo(naive.finalsWithin(b));
            assertThat(kinds(prog, base.withPreemptionBound(b))).as("kinds within bound %d", b)
                    .isEqualTo(new TreeSet<>(naive.kindsWithin(b)));
            previous = r.finals();
        }
        int big = p.totalSteps();
        Run full = explore(p, prog, base.withPreemptionBound(big));
        assertThat(full.finals()).as("bound %d (every step)", big).isEqualTo(naive.finals().keySet());
        assertThat(kinds(prog, base.withPreemptionBound(big))).as("kinds, bound %d", big)
                .isEqualTo(new TreeSet<>(naive.kinds().keySet()));
    }

    // ------------------------------------------------------------------ (d)

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void reportedSchedulesReplayToTheirViolation(@ForAll("failingPrograms") RandomProgram p) {
        NaiveEnumerator.Outcome naive = NaiveEnumerator.enumerate(p);
        Program prog = p.compile();
        List<Options> configs = new ArrayList<>();
        // The schedule reported is the first one met, so stopAtFirst=false would report the same.
        // Only kinds that exist can give a schedule (that the others give none is checked above).
        for (Options o : List.of(EXHAUSTIVE, NO_SLEEP, NO_CACHE, NO_REDUCTION, NO_LOCAL, LOCAL_ONLY,
                EXHAUSTIVE.withPreemptionBound(0), EXHAUSTIVE.withPreemptionBound(1), NO_CACHE.withPreemptionBound(2))) {
            configs.add(o);
            for (String k : naive.kinds().keySet()) {
                configs.add(o.withKind(k));
            }
        }
        for (Options o : configs) {
            Result r = new Explorer(prog, o).run();
            if (r.found() == null) {
                continue;
            }
            Found f = r.found();
            assertThat(naive.kinds()).as("kinds under %s", o).containsKey(f.violation().kind());
            Tracer.Trace t = Tracer.replay(prog, f.schedule(), null);
            assertThat(t.error()).as("replay error under %s", o).isNull();
            assertThat(t.violation()).as("replayed violation under %s", o).isNotNull();
            assertThat(t.violation().kind()).as("replayed kind under %s", o).isEqualTo(f.violation().kind());
            assertThat(t.violation()).as("replayed violation under %s", o).isEqualTo(f.violation());
            if (o.kind() != null) {
                assertThat(f.violation().kind()).isEqualTo(o.kind());
            }
            if (o.preemptionBound() >= 0) {
                assertThat(t.preemptions()).as("preemptions under %s", o).isLessThanOrEqualTo(o.preemptionBound());
            }
        }
    }

    // ------------------------------------------------------------------ (e)

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void minimizerKeepsTheKindAndShrinks(@ForAll("failingPrograms") RandomProgram p) {
        NaiveEnumerator.Outcome naive = NaiveEnumerator.enumerate(p);
        Program prog = p.compile();
        List<Found> originals = new ArrayList<>();
        for (String kind : naive.kinds().keySet()) {
            for (Options o : List.of(EXHAUSTIVE, NO_REDUCTION)) {
                Result r = new Explorer(prog, o.withKind(kind)).run();
                assertThat(r.found()).as("found " + kind).isNotNull();
                originals.add(r.found());
            }
        }
        // Random walks give schedules with more preemptions and detours than the explorer's.
        for (long seed = 1; seed <= 3; seed++) {
            Result r = new RandomWalk(prog).run(20, seed, null);
            if (r.found() != null) {
                originals.add(r.found());
            }
        }
        for (Found original : originals) {
            String kind = original.violation().kind();
            Tracer.Trace before = Tracer.replay(prog, original.schedule(), null);
            assertThat(before.violation().kind()).isEqualTo(kind);

            Found min = Minimizer.minimize(prog, original, 60);
            assertThat(min.violation().kind()).as("kind").isEqualTo(kind);
            Tracer.Trace after = Tracer.replay(prog, min.schedule(), null);
            assertThat(after.error()).as("replay error").isNull();
            assertThat(after.violation()).as("replayed violation").isNotNull();
            assertThat(after.violation().kind()).as("replayed kind").isEqualTo(kind);
            assertThat(after.preemptions()).as("preemptions of %s after %s", min.schedule(), original.schedule())
                    .isLessThanOrEqualTo(before.preemptions());
            // Fewer steps only at equal preemptions: the minimizer puts preemptions first, and
            // dropping one may take more steps (T2: x=2; r=x  T0: r=x; assert r!=2: [2,0] has a
            // preemption, the best without one is [2,2,0]).
            if (after.preemptions() == before.preemptions()) {
                assertThat(min.schedule().length()).as("steps of %s after %s", min.schedule(), original.schedule())
                        .isLessThanOrEqualTo(original.schedule().length());
            }
            Statistics.label("minimized").collect(after.preemptions() < before.preemptions()
                    ? (min.schedule().length() > original.schedule().length() ? "fewer preemptions, more steps" : "fewer preemptions")
                    : min.schedule().length() < original.schedule().length() ? "fewer steps" : "unchanged");
            // And it is the best there is: fewest preemptions, then fewest steps.
            assertThat(new int[] {after.preemptions(), min.schedule().length()}).as("optimal " + kind)
                    .isEqualTo(naive.kinds().get(kind));
        }
    }

    // ------------------------------------------------------------------ smallest cases

    /**
     * With sleep sets, the search goes on past a violating step (stopAtFirst=false, or a kind
     * filter that does not match). T0 reads x0 and asserts it is not 0 (it is), T1 reads x0.
     */
    @Example
    void sleepSetsContinuePastAViolatingStep() {
        RandomProgram p = new RandomProgram(1, 0, List.of(0L), List.of(
                        List.of(new Instr(Kind.READ, 0, 0), new Instr(Kind.ASSERT, 0, 0)),
                        List.of(new Instr(Kind.READ, 0, 0))),
                List.of(), List.of());
        Program prog = p.compile();
        for (Options o : List.of(EXHAUSTIVE, NO_CACHE)) {
            Result r = new Explorer(prog, o.withStopAtFirst(false)).run();
            assertThat(r.found().violation().kind()).as("%s", o).isEqualTo(RandomProgram.ASSERT);
            // The ASSERT is not counted when looking for DEADLOCK: the search goes on, to the end.
            Result d = new Explorer(prog, o.withKind(Violation.DEADLOCK)).run();
            assertThat(d.verdict()).as("%s", o).isEqualTo(Verdict.VERIFIED);
        }
    }

    /**
     * A step that ends in a violation does not go to sleep in its later siblings: nothing beyond it
     * was explored. T0 writes x0 = 1, T1 writes x1 = 1, the step check fails when x0 == 1 and
     * x1 == 0. T0 first fails the check; T1 first, then T0, does not, and reaches the only final
     * state, x0 = x1 = 1, which is lost if T0 sleeps after T1 (the two steps are independent).
     */
    @Example
    void aViolatingStepDoesNotGoToSleep() {
        RandomProgram p = new RandomProgram(2, 0, List.of(0L, 0L), List.of(
                        List.of(new Instr(Kind.WRITE_CONST, 0, 1)),
                        List.of(new Instr(Kind.WRITE_CONST, 1, 1))),
                List.of(new RandomProgram.Cond(0, 1), new RandomProgram.Cond(1, 0)), List.of());
        NaiveEnumerator.Outcome naive = NaiveEnumerator.enumerate(p);
        assertThat(naive.finals().keySet()).containsExactly(List.of(1L, 1L));
        for (Options o : List.of(EXHAUSTIVE, NO_CACHE)) {
            Run r = explore(p, p.compile(), o.withStopAtFirst(false));
            assertThat(r.finals()).as("%s", o).isEqualTo(naive.finals().keySet());
            assertThat(r.result().verdict()).isEqualTo(Verdict.VIOLATION);
            assertThat(explore(p, p.compile(), o.withKind(Violation.DEADLOCK)).finals()).isEqualTo(naive.finals().keySet());
        }
    }

    /**
     * A step whose own exploration was cut short by a violation further down does not go to sleep
     * in its later siblings either: the executions it stands for there may avoid the violating
     * state. T0 writes x1 = 2; T1 writes x0 = 1, then x0 = 0; the step check fails when x0 == 1 and
     * x1 == 2, the final check when x0 == 0. T0 first, then T1, fails the step check; so does T1,
     * T0; but T1, T1, T0 does not, and ends in the only final state, x0 = 0, x1 = 2, which fails
     * the final check. With T0 asleep after T1 (their steps are independent) it is never reached.
     */
    @Example
    void aStepCutShortByALaterViolationDoesNotGoToSleep() {
        RandomProgram p = new RandomProgram(2, 0, List.of(0L, 0L), List.of(
                        List.of(new Instr(Kind.WRITE_CONST, 1, 2)),
                        List.of(new Instr(Kind.WRITE_CONST, 0, 1), new Instr(Kind.WRITE_CONST, 0, 0))),
                List.of(new RandomProgram.Cond(0, 1), new RandomProgram.Cond(1, 2)),
                List.of(new RandomProgram.Cond(0, 0)));
        NaiveEnumerator.Outcome naive = NaiveEnumerator.enumerate(p);
        assertThat(naive.kinds()).containsOnlyKeys(RandomProgram.INVARIANT, RandomProgram.FINAL);
        Program prog = p.compile();
        for (Options o : List.of(EXHAUSTIVE, NO_CACHE)) {
            Result r = new Explorer(prog, o.withKind(RandomProgram.FINAL)).run();
            assertThat(r.verdict()).as("looking for FINAL under %s", o).isEqualTo(Verdict.VIOLATION);
            assertThat(Tracer.replay(prog, r.found().schedule(), null).violation().kind()).isEqualTo(RandomProgram.FINAL);
        }
    }

    /**
     * A thread whose code fails before its first step is a violation of the initial state, with an
     * empty schedule, for the explorer, the random walker, the tracer and the minimizer alike; it
     * is not a finished thread. T0 asserts r0 != 0 (r0 is 0) before reading x0, T1 writes x0.
     */
    @Example
    void failureBeforeTheFirstStepIsReported() {
        RandomProgram p = new RandomProgram(1, 0, List.of(0L), List.of(
                        List.of(new Instr(Kind.ASSERT, 0, 0), new Instr(Kind.READ, 0, 0)),
                        List.of(new Instr(Kind.WRITE_CONST, 0, 1))),
                List.of(), List.of());
        assertThat(NaiveEnumerator.enumerate(p).kinds()).containsOnlyKeys(RandomProgram.ASSERT);
        Program prog = p.compile();
        for (Options o : List.of(EXHAUSTIVE, NO_SLEEP, NO_CACHE, NO_REDUCTION, EXHAUSTIVE.withPreemptionBound(0))) {
            Run all = explore(p, prog, o.withStopAtFirst(false));
            assertThat(all.result().verdict()).as("%s", o).isEqualTo(Verdict.VIOLATION);
            assertThat(all.result().found().violation().kind()).as("%s", o).isEqualTo(RandomProgram.ASSERT);
            assertThat(all.result().found().schedule().length()).as("%s", o).isZero();
            assertThat(all.finals()).as("final states under %s", o).isEmpty();
        }
        Found f = new Explorer(prog, EXHAUSTIVE).run().found();
        Tracer.Trace t = Tracer.replay(prog, f.schedule(), null);
        assertThat(t.violation()).isEqualTo(f.violation());
        Result walk = new RandomWalk(prog).run(10, 1, null);
        assertThat(walk.found().violation()).isEqualTo(f.violation());
        assertThat(walk.found().schedule().length()).isZero();
        Found min = Minimizer.minimize(prog, f, 10);
        assertThat(min.violation()).isEqualTo(f.violation());
        assertThat(min.schedule().length()).isZero();
    }

    /**
     * A violation of the initial state counts only when it is of the kind looked for. The step
     * check x0 != 0 fails in the initial state; looking for DEADLOCK finds nothing (no execution
     * goes beyond the initial state), looking for INVARIANT finds it, with an empty schedule.
     */
    @Example
    void initialViolationHonoursTheKindFilter() {
        RandomProgram p = new RandomProgram(1, 0, List.of(0L), List.of(
                        List.of(new Instr(Kind.WRITE_CONST, 0, 1)),
                        List.of(new Instr(Kind.READ, 0, 0))),
                List.of(new RandomProgram.Cond(0, 0)), List.of());
        assertThat(NaiveEnumerator.enumerate(p).kinds()).containsOnlyKeys(RandomProgram.INVARIANT);
        Program prog = p.compile();
        for (Options o : List.of(EXHAUSTIVE, NO_REDUCTION)) {
            assertThat(new Explorer(prog, o.withKind(Violation.DEADLOCK)).run().verdict()).as("%s", o)
                    .isEqualTo(Verdict.VERIFIED);
            Result r = new Explorer(prog, o.withKind(RandomProgram.INVARIANT)).run();
            assertThat(r.verdict()).as("%s", o).isEqualTo(Verdict.VIOLATION);
            assertThat(r.found().violation().kind()).isEqualTo(RandomProgram.INVARIANT);
            assertThat(r.found().schedule().length()).isZero();
        }
    }

    /**
     * A step's guard is part of what it reads. T1 waits until x0 == 0, then sets x1; T0 sets x0.
     * After T0 first (T1 then waits for ever), T1 first must still be explored with T0 after it:
     * a sleep set that took T1's wait (which touches nothing once it runs) for independent of T0's
     * write would put T0 to sleep and lose the final state x0 = 1, x1 = 1.
     */
    @Example
    void aGuardIsPartOfWhatAStepReads() {
        RandomProgram p = new RandomProgram(2, 0, List.of(0L, 0L), List.of(
                        List.of(new Instr(Kind.WRITE_CONST, 0, 1)),
                        List.of(new Instr(Kind.AWAIT, 0, 0), new Instr(Kind.WRITE_CONST, 1, 1))),
                List.of(), List.of());
        NaiveEnumerator.Outcome naive = NaiveEnumerator.enumerate(p);
        assertThat(naive.finals().keySet()).containsExactly(List.of(1L, 1L));
        for (Options o : List.of(EXHAUSTIVE, NO_LOCAL, NO_CACHE, NO_SLEEP, LOCAL_ONLY)) {
            assertThat(explore(p, p.compile(), o.withStopAtFirst(false)).finals()).as("%s", o).isEqualTo(naive.finals().keySet());
        }
    }

    /**
     * A transaction does not stand for what it skips. T1 takes L0 and writes x0 = 1 (its register
     * is 0); T2 writes x0 = 0, then under L0 waits for x0 == 0, for ever if T1's write came after.
     * Once T1 has L0 it runs on to its write alone; exploring T2 first with T1 asleep relied on T1
     * first covering "T1 takes L0, T2 writes x0, T1 writes x0", which the transaction did not
     * explore: the deadlock was lost until the sleep set took T1's lock and its write together.
     */
    @Example
    void aTransactionStandsForItsLockAndTheStepAfter() {
        RandomProgram p = new RandomProgram(1, 1, List.of(0L), List.of(
                        List.of(new Instr(Kind.READ, 0, 0)),
                        List.of(new Instr(Kind.LOCK, 0, 0), new Instr(Kind.WRITE_INC, 0, 0), new Instr(Kind.UNLOCK, 0, 0)),
                        List.of(new Instr(Kind.WRITE_CONST, 0, 0), new Instr(Kind.LOCK, 0, 0), new Instr(Kind.AWAIT, 0, 0),
                                new Instr(Kind.UNLOCK, 0, 0))),
                List.of(), List.of());
        assertThat(NaiveEnumerator.enumerate(p).kinds()).containsKey(Violation.DEADLOCK);
        for (Options o : List.of(EXHAUSTIVE, NO_CACHE, LOCAL_ONLY, Options.exhaustive())) {
            Result r = new Explorer(p.compile(), o.withKind(Violation.DEADLOCK)).learningFirst(false).run();
            assertThat(r.found()).as("%s", o).isNotNull();
        }
    }

    /**
     * A transaction begins only where every thread was tried. T1 and T2 want L1 and T3 writes x0:
     * at the start {T1, T2} keeps to itself (their lock steps touch nothing of T3's), so T3 waits;
     * had T2's lock then begun a transaction, T3 could not come between T2 taking L1 and T2 writing
     * x0 = 0 either, and x0 = -1 (T3 writes 1, T2 writes 0, T1 subtracts 1) was never reached.
     */
    @Example
    void aTransactionBeginsOnlyWhereEveryThreadWasTried() {
        RandomProgram p = new RandomProgram(1, 2, List.of(0L), List.of(
                        List.of(new Instr(Kind.LOCK, 0, 0), new Instr(Kind.UNLOCK, 0, 0), new Instr(Kind.READ, 0, 0)),
                        List.of(new Instr(Kind.LOCK, 1, 0), new Instr(Kind.ADD, 0, -1), new Instr(Kind.UNLOCK, 1, 0)),
                        List.of(new Instr(Kind.LOCK, 1, 0), new Instr(Kind.WRITE_CONST, 0, 0), new Instr(Kind.UNLOCK, 1, 0)),
                        List.of(new Instr(Kind.WRITE_CONST, 0, 1))),
                List.of(), List.of());
        assertThat(NaiveEnumerator.enumerate(p).finals().keySet()).contains(List.of(-1L, 0L, 0L));
        for (Options o : List.of(EXHAUSTIVE, NO_SLEEP, LOCAL_ONLY, Options.exhaustive())) {
            assertThat(explore(p, p.compile(), o.withStopAtFirst(false)).finals()).as("%s", o).isEqualTo(NaiveEnumerator.enumerate(p).finals().keySet());
        }
    }

    /**
     * A state first met inside a transaction was explored for that thread only: met again by
     * another path, outside any transaction, its other steps are still to be explored. T0 and T2
     * take L0 shared; T0 then writes x0 = 1, T2 waits for x0 == 0. After T0's read_lock then T2's,
     * T0's transaction (T0 asleep there) explores nothing; after T2's read_lock then T0's (no
     * transaction: T0 took the lock where a persistent set left T2 out) the same state must still
     * let T2 go first, the only way to x0 = 1 with every lock free at the end.
     */
    @Example
    void aStateMetInATransactionIsNotExploredForEveryThread() {
        RandomProgram p = new RandomProgram(1, 2, List.of(0L), List.of(
                        List.of(new Instr(Kind.READ_LOCK, 0, 0), new Instr(Kind.WRITE_CONST, 0, 1), new Instr(Kind.READ_UNLOCK, 0, 0)),
                        List.of(new Instr(Kind.LOCK, 0, 0), new Instr(Kind.WRITE_CONST, 0, 1), new Instr(Kind.UNLOCK, 0, 0)),
                        List.of(new Instr(Kind.READ_LOCK, 0, 0), new Instr(Kind.AWAIT, 0, 0), new Instr(Kind.READ_UNLOCK, 0, 0))),
                List.of(), List.of());
        Set<List<Long>> naive = NaiveEnumerator.enumerate(p).finals().keySet();
        assertThat(naive).containsExactly(List.of(1L, 0L, 0L));
        for (Options o : List.of(EXHAUSTIVE, NO_SLEEP)) {
            Set<List<Long>> finals = new HashSet<>();
            new Explorer(p.compile(), o.withStopAtFirst(false), m -> finals.add(List.of(m.peek(0), m.peek(1), m.peek(2))))
                    .learningFirst(false).run();
            assertThat(finals).as("%s", o).isEqualTo(naive);
        }
    }

    /**
     * A critical section whose steps are local only because the other thread has yet to take the
     * lock is not atomic once it has: T0 takes L0, decrements x0 from 1, waits for x0 == 0 and drops
     * L0; T1 takes and drops L0, then writes x0 = 1. With T0 first, T0's steps in L0 are local (T1
     * must take L0 before its write), so T0's lock stands in sleep sets for the whole section; with
     * T1 first, T1's write can fall inside T0's section, which then waits for ever. If the section
     * sleeps there as a whole, that deadlock is lost.
     */
    @Example
    void aSectionKeptAtomicByALockStillToBeTakenIsNotAtomicOnceItIsTaken() {
        RandomProgram p = new RandomProgram(1, 1, List.of(1L), List.of(
                        List.of(new Instr(Kind.LOCK, 0, 0), new Instr(Kind.ADD, 0, -1), new Instr(Kind.AWAIT, 0, 0), new Instr(Kind.UNLOCK, 0, 0)),
                        List.of(new Instr(Kind.LOCK, 0, 0), new Instr(Kind.UNLOCK, 0, 0), new Instr(Kind.WRITE_INC, 0, 0))),
                List.of(), List.of());
        assertThat(NaiveEnumerator.enumerate(p).kinds()).containsOnlyKeys(Violation.DEADLOCK);
        for (Options o : List.of(EXHAUSTIVE, STRICT.withTransactions(false))) {
            for (boolean learnFirst : new boolean[] {true, false}) {
                Result r = new Explorer(p.compile(), o.withStopAtFirst(true)).learningFirst(learnFirst).run();
                assertThat(r.verdict()).as("%s, learning first: %s", o, learnFirst).isEqualTo(Verdict.VIOLATION);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    record Run(Result result, Set<List<Long>> finals) {}

    /** Explores and collects every final state as its slot values, in slot order. */
    static Run explore(RandomProgram p, Program prog, Options o) {
        Set<List<Long>> finals = new HashSet<>();
        int slots = p.slots();
        Result r = new Explorer(prog, o, m -> {
            List<Long> state = new ArrayList<>(slots);
            for (int i = 0; i < slots; i++) {
                state.add(m.peek(i));
            }
            finals.add(state);
        }).run();
        return new Run(r, finals);
    }

    /** The kinds found when looking for each kind in turn. */
    static Set<String> kinds(Program prog, Options base) {
        Set<String> kinds = new TreeSet<>();
        for (String k : RandomProgram.KINDS) {
            Result r = new Explorer(prog, base.withKind(k).withStopAtFirst(true)).run();
            if (r.found() != null) {
                assertThat(r.found().violation().kind()).isEqualTo(k);
                kinds.add(k);
            }
        }
        return kinds;
    }

    private static void collectStatistics(RandomProgram p, NaiveEnumerator.Outcome naive) {
        Statistics.label("threads").collect(p.threads().size());
        Statistics.label("kinds").collect(new TreeSet<>(naive.kinds().keySet()).toString());
        Statistics.label("fails in the initial state").collect(naive.kinds().values().stream().anyMatch(b -> b[1] == 0));
        long e = naive.executions();
        Statistics.label("executions").collect(e < 10 ? "<10" : e < 100 ? "<100" : e < 1000 ? "<1000" : ">=1000");
    }
}
