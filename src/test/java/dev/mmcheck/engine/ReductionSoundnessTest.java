package dev.mmcheck.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmcheck.engine.RandomProgram.Instr;
import dev.mmcheck.engine.RandomProgram.Kind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Disabled;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Soundness of the explorer's reductions, against {@link NaiveEnumerator} on random programs.
 *
 * <p>Every reduction (state caching + sleep sets, either alone, neither) must reach exactly the
 * final states the naive enumeration reaches and find exactly the violation kinds it finds; a
 * preemption bound must reach exactly the states reachable within it; every reported schedule
 * must replay to its violation; the minimizer must keep the kind and not make a schedule worse
 * (in its order: preemptions first, then steps), and must in fact find the best one.
 *
 * <p>Engine bugs were found; the {@code @Disabled} tests at the end reproduce them. Until they are
 * fixed the properties steer around them:
 *
 * <ol>
 *   <li><b>Sleep sets crash after a violating step</b> ({@link #sleepSetsContinuePastAViolatingStep}).
 *       With sleep sets on and no preemption bound, when a step ends in a violation and the search
 *       goes on (stopAtFirst=false, or a {@code kind} filter that does not match), the next sibling
 *       step throws a NullPointerException in {@code Explorer.dfs}: the violating thread is added
 *       to {@code done} but its footprint is never stored in {@code doneFp}. So with sleep sets,
 *       programs where a step can fail (ASSERT, INVARIANT) are explored here only in the modes
 *       that stop at that failure; the rest of the check runs on the same program without its
 *       assertions and step check ({@link #avoidsSleepSetBug}).
 *   <li><b>A thread that fails before its first step is ignored</b>
 *       ({@link #failureBeforeTheFirstStepIsReported}). {@code Explorer.run} checks the initial
 *       state's step checks but not the root nodes' {@code failure}; such a thread has no next op,
 *       so it counts as finished.
 *   <li><b>A violation in the initial state ignores {@code Options.kind}</b>
 *       ({@link #initialViolationHonoursTheKindFilter}). {@code Explorer.run} records it as found
 *       directly instead of through {@code report}, so a search for DEADLOCK says VIOLATION with
 *       an INVARIANT violation.
 * </ol>
 *
 * <p>For 2 and 3 the generator keeps the initial state from failing (no assertion before a thread's
 * first step, no step check that fails at once); {@link #initialFailuresMatchNaive} is the full
 * version.
 */
class ReductionSoundnessTest {

    /**
     * Tries per property. Edge cases are off: for this generator they are only the smallest
     * programs, and computing them for the nested arbitrary costs more than all the tries.
     */
    private static final int TRIES = 250;

    @Provide
    Arbitrary<RandomProgram> programs() {
        return RandomProgram.arbitrary(false);
    }

    /** Programs with at least one reachable violation: the only ones that give schedules. */
    @Provide
    Arbitrary<RandomProgram> failingPrograms() {
        return RandomProgram.arbitrary(false).filter(p -> !NaiveEnumerator.enumerate(p).kinds().isEmpty());
    }

    @Provide
    Arbitrary<RandomProgram> programsWithInitialFailures() {
        return RandomProgram.arbitrary(true);
    }

    private static final Options EXHAUSTIVE = Options.exhaustive();
    private static final Options NO_SLEEP = Options.exhaustive().withSleepSets(false);
    private static final Options NO_CACHE = Options.exhaustive().withStateCaching(false);
    private static final Options NO_REDUCTION = Options.exhaustive().withSleepSets(false).withStateCaching(false);

    // ------------------------------------------------------------------ (a), (b)

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void cachingAndSleepSetsMatchNaive(@ForAll("programs") RandomProgram p) {
        collectStatistics(p, NaiveEnumerator.enumerate(p));
        matchesNaive(p, EXHAUSTIVE, true);
    }

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void cachingWithoutSleepSetsMatchesNaive(@ForAll("programs") RandomProgram p) {
        matchesNaive(p, NO_SLEEP, true);
    }

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void sleepSetsWithoutCachingMatchNaive(@ForAll("programs") RandomProgram p) {
        matchesNaive(p, NO_CACHE, true);
    }

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void noReductionMatchesNaive(@ForAll("programs") RandomProgram p) {
        matchesNaive(p, NO_REDUCTION, true);
    }

    /**
     * Same final states as the naive enumeration; a violation iff it has one, of a kind it has; and
     * exactly its kinds when looking for one kind at a time.
     *
     * @param avoidBug steer around the sleep-set crash (see the class comment)
     */
    private static void matchesNaive(RandomProgram p, Options base, boolean avoidBug) {
        NaiveEnumerator.Outcome naive = NaiveEnumerator.enumerate(p);
        Program prog = p.compile();
        boolean restricted = avoidBug && !avoidsSleepSetBug(base.withStopAtFirst(false), naive);

        Result first = new Explorer(prog, base.withStopAtFirst(true)).run();
        assertThat(first.verdict()).as("verdict").isEqualTo(naive.kinds().isEmpty() ? Verdict.VERIFIED : Verdict.VIOLATION);
        if (first.found() != null) {
            assertThat(naive.kinds()).as("kinds").containsKey(first.found().violation().kind());
        }
        if (restricted) {
            // Only the modes that stop at the first failing step are safe on this program.
            for (String k : RandomProgram.STEP_KINDS) {
                Options o = base.withKind(k);
                if (avoidsSleepSetBug(o, naive)) {
                    Result r = new Explorer(prog, o).run();
                    assertThat(r.found() != null).as("found " + k).isEqualTo(naive.kinds().containsKey(k));
                }
            }
            matchesNaive(p.withoutStepFailures(), base, true);
            return;
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
        replaysEverySchedule(p, true);
    }

    private static void replaysEverySchedule(RandomProgram p, boolean avoidBug) {
        NaiveEnumerator.Outcome naive = NaiveEnumerator.enumerate(p);
        Program prog = p.compile();
        List<Options> configs = new ArrayList<>();
        // The schedule reported is the first one met, so stopAtFirst=false would report the same.
        // Only kinds that exist can give a schedule (that the others give none is checked above).
        for (Options o : List.of(EXHAUSTIVE, NO_SLEEP, NO_CACHE, NO_REDUCTION,
                EXHAUSTIVE.withPreemptionBound(0), EXHAUSTIVE.withPreemptionBound(1), NO_CACHE.withPreemptionBound(2))) {
            configs.add(o);
            for (String k : naive.kinds().keySet()) {
                configs.add(o.withKind(k));
            }
        }
        for (Options o : configs) {
            if (avoidBug && !avoidsSleepSetBug(o, naive)) {
                continue;
            }
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
            // Sleep sets off: they could crash on the way to this kind (see the class comment).
            for (Options o : List.of(NO_SLEEP, NO_REDUCTION)) {
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

    // ------------------------------------------------------------------ the engine bugs

    /** Bug 1, smallest case: T0 reads x and asserts it is not 0 (it is), T1 reads x. */
    @Example
    @Disabled("engine bug: Explorer.dfs NPE (doneFp[t] null) when sleep sets go on after a violating step")
    void sleepSetsContinuePastAViolatingStep() {
        RandomProgram p = new RandomProgram(1, 0, List.of(0L), List.of(
                        List.of(new Instr(Kind.READ, 0, 0), new Instr(Kind.ASSERT, 0, 0)),
                        List.of(new Instr(Kind.READ, 0, 0))),
                List.of(), List.of());
        Program prog = p.compile();
        // Throws NullPointerException at the second step tried from the initial state (T1).
        Result r = new Explorer(prog, EXHAUSTIVE.withStopAtFirst(false)).run();
        assertThat(r.found().violation().kind()).isEqualTo(RandomProgram.ASSERT);
        // Same crash when looking for another kind: the ASSERT is not counted, the search goes on.
        Result d = new Explorer(prog, EXHAUSTIVE.withKind(Violation.DEADLOCK)).run();
        assertThat(d.verdict()).isEqualTo(Verdict.VERIFIED);
    }

    /**
     * Bug 1, the fix that does not work: storing the violating step's footprint in {@code doneFp}
     * (so it may sleep in later siblings) loses states. T0 writes x0 = 1, T1 writes x1 = 1, the step
     * check fails when x0 == 1 and x1 == 0. T0 first fails the check; T1 first, then T0, does not,
     * and reaches the final state x0 = x1 = 1. If T0 went to sleep after T1 (the steps are
     * independent), that state would never be reached. A violating step must not join {@code done}.
     */
    @Example
    @Disabled("engine bug: Explorer.dfs NPE (doneFp[t] null) when sleep sets go on after a violating step")
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

    /** Bug 1, all programs: (a), (b) and (d) without steering around it. */
    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    @Disabled("engine bug: Explorer.dfs NPE (doneFp[t] null) when sleep sets go on after a violating step")
    void sleepSetsMatchNaiveOnProgramsThatFail(@ForAll("failingPrograms") RandomProgram p) {
        matchesNaive(p, EXHAUSTIVE, false);
        matchesNaive(p, NO_CACHE, false);
        replaysEverySchedule(p, false);
    }

    /** Bug 2, smallest case: T0 asserts r0 != 0 before its first step (r0 is 0), T1 writes x. */
    @Example
    @Disabled("engine bug: a thread whose code fails before its first step is taken as finished")
    void failureBeforeTheFirstStepIsReported() {
        RandomProgram p = new RandomProgram(1, 0, List.of(0L), List.of(
                        List.of(new Instr(Kind.ASSERT, 0, 0), new Instr(Kind.READ, 0, 0)),
                        List.of(new Instr(Kind.WRITE_CONST, 0, 1))),
                List.of(), List.of());
        assertThat(NaiveEnumerator.enumerate(p).kinds()).containsOnlyKeys(RandomProgram.ASSERT);
        Program prog = p.compile();
        // Actual: VERIFIED, and the final state x0 = 1 is reported as if T0 had finished.
        Result r = new Explorer(prog, NO_REDUCTION).run();
        assertThat(r.verdict()).isEqualTo(Verdict.VIOLATION);
        assertThat(r.found().violation().kind()).isEqualTo(RandomProgram.ASSERT);
        assertThat(r.found().schedule().length()).isZero();
        assertThat(Tracer.replay(prog, r.found().schedule(), null).violation()).isNotNull();
    }

    /** Bug 3, smallest case: the step check x != 0 fails in the initial state; look for DEADLOCK. */
    @Example
    @Disabled("engine bug: Explorer.run reports a violation of the initial state whatever Options.kind asks for")
    void initialViolationHonoursTheKindFilter() {
        RandomProgram p = new RandomProgram(1, 0, List.of(0L), List.of(
                        List.of(new Instr(Kind.WRITE_CONST, 0, 1)),
                        List.of(new Instr(Kind.READ, 0, 0))),
                List.of(new RandomProgram.Cond(0, 0)), List.of());
        assertThat(NaiveEnumerator.enumerate(p).kinds()).containsOnlyKeys(RandomProgram.INVARIANT);
        // Actual: VIOLATION, with found = INVARIANT: x0 == 0 and an empty schedule.
        Result r = new Explorer(p.compile(), NO_REDUCTION.withKind(Violation.DEADLOCK)).run();
        assertThat(r.verdict()).isEqualTo(Verdict.VERIFIED);
    }

    /** Bugs 2 and 3, all programs: (a) when the initial state may fail. */
    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    @Disabled("engine bugs: failures in the initial state are missed (root asserts) or ignore Options.kind")
    void initialFailuresMatchNaive(@ForAll("programsWithInitialFailures") RandomProgram p) {
        matchesNaive(p, NO_REDUCTION, true);
        matchesNaive(p, NO_SLEEP, true);
        matchesNaive(p, EXHAUSTIVE, true);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Whether a run under {@code o} cannot hit bug 1: sleep sets are inactive, or no step can fail,
     * or the run stops at the first failing step it meets.
     */
    private static boolean avoidsSleepSetBug(Options o, NaiveEnumerator.Outcome naive) {
        boolean sleepActive = o.sleepSets() && o.preemptionBound() < 0;
        Set<String> stepKinds = new TreeSet<>(naive.kinds().keySet());
        stepKinds.retainAll(RandomProgram.STEP_KINDS);
        boolean stopsAtFirstFailingStep = o.stopAtFirst() && (o.kind() == null || Set.of(o.kind()).equals(stepKinds));
        return !sleepActive || stepKinds.isEmpty() || stopsAtFirstFailingStep;
    }

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
        long e = naive.executions();
        Statistics.label("executions").collect(e < 10 ? "<10" : e < 100 ? "<100" : e < 1000 ? "<1000" : ">=1000");
    }
}
