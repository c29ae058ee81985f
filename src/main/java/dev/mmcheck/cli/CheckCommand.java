package dev.mmcheck.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mmcheck.engine.Found;
import dev.mmcheck.engine.Minimizer;
import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Result;
import dev.mmcheck.engine.ThreadSpec;
import dev.mmcheck.engine.Tracer;
import dev.mmcheck.engine.Verdict;
import dev.mmcheck.engine.Violation;
import dev.mmcheck.mm.lockdep.Chains;
import dev.mmcheck.mm.lockdep.LockGraph;
import dev.mmcheck.mm.lockdep.Lockdep;
import dev.mmcheck.report.ColumnDiagram;
import dev.mmcheck.report.JsonReport;
import dev.mmcheck.report.TraceFile;
import dev.mmcheck.report.TraceView;
import dev.mmcheck.scenario.Catalog;
import dev.mmcheck.scenario.Scenario;
import dev.mmcheck.scenario.ScenarioProgram;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "check", description = "Explore every interleaving of a scenario (or a random sample) and report a"
        + " violation as a CPU-column diagram, or what the VERIFIED verdict covers.")
final class CheckCommand implements Callable<Integer> {
    @Mixin
    HelpOption helpOption;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SCENARIO", description = "A built-in scenario name (see 'mmcheck list') or a scenario file.")
    String scenario;

    @Option(names = {"--variant", "-V"}, paramLabel = "NAME", description = "Kernel variant to check (default: the scenario's first).")
    String variant;

    @Option(names = "--json", description = "Print one JSON object on stdout instead of text.")
    boolean json;

    @Mixin
    ParamArgs params;

    @Option(names = "--max-preemptions", paramLabel = "N", description = "Explore only executions with at most N preemptions (default: the scenario's bound, else none).")
    Integer maxPreemptions;

    @Option(names = "--random", paramLabel = "N", description = "Run N random executions instead of exploring exhaustively.")
    Long random;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the random executions (with --random; default: from the clock, printed).")
    Long seed;

    @Option(names = "--max-seconds", paramLabel = "S", description = "Stop with INCOMPLETE after S seconds (default: no limit).")
    Double maxSeconds;

    @Option(names = "--max-states", paramLabel = "N", description = "Stop with INCOMPLETE after N states stored (default: no limit).")
    Long maxStates;

    @Option(names = "--workers", paramLabel = "N", description = "Explore on N threads sharing the visited states (default: the number of cores).")
    Integer workers;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory the visited-state table may use, e.g. 2G or 512M (default: half the Java heap).")
    String memory;

    @Option(names = "--no-sleep-sets", description = "Explore without sleep sets (to cross-check the reduction).")
    boolean noSleepSets;

    @Option(names = "--no-local-steps", description = "Explore without the persistent sets learned from what the threads touch (a local step taken at once, or a few threads that keep to themselves), and so without transactions (to cross-check the reduction).")
    boolean noLocalSteps;

    @Option(names = "--no-transactions", description = "Explore without running a thread on alone after it takes a lock that commutes with what the others do (to cross-check the reduction).")
    boolean noTransactions;

    @Option(names = "--no-lock-barriers", description = "Explore without taking an access another CPU makes only after taking a lock as kept out by that lock's holder (to cross-check the reduction).")
    boolean noLockBarriers;

    @Option(names = "--no-atomic-sections", description = "Explore without letting a step that takes a lock stand for its whole critical section when picking the CPUs to run from a state (to cross-check the reduction).")
    boolean noAtomicSections;

    @Option(names = "--no-merge-histories", description = "Tell a CPU's states apart by everything its steps returned, also inside calls that have returned (to cross-check the reduction).")
    boolean noMergeHistories;

    @Option(names = "--no-state-caching", description = "Explore without the visited-state cache (to cross-check the reduction; exponential).")
    boolean noStateCaching;

    @Option(names = "--minimize-seconds", paramLabel = "S", defaultValue = "20", description = "Time spent looking for the simplest counterexample (default: ${DEFAULT-VALUE}).")
    double minimizeSeconds;

    @Option(names = "--save-trace", paramLabel = "FILE", description = "Where to save a counterexample (default: mmcheck-traces/SCENARIO-VARIANT.trace.json).")
    Path saveTrace;

    /** Set when exploring found nothing else but the lock graph of what it explored has a cycle. */
    private Violation lockOrder;
    /** The violation the run reports (the one-worker search's first, minimized), or null. */
    private Found shown;

    @Override
    public Integer call() {
        validate();
        OutputFile.check("--save-trace", saveTrace);
        Scenario s = Catalog.load(scenario, params.map());
        String v = variant != null ? variant : s.variants().get(0).name();
        ScenarioProgram sp = ScenarioProgram.build(s, v);
        int bound = maxPreemptions != null ? maxPreemptions : s.preemptionBound();
        Options opts = Options.exhaustive().withPreemptionBound(bound).withSleepSets(!noSleepSets)
                .withLocalSteps(!noLocalSteps).withTransactions(!noTransactions).withStateCaching(!noStateCaching)
                .withMergeHistories(!noMergeHistories).withLockBarriers(!noLockBarriers).withAtomicSections(!noAtomicSections)
                .withBudget(maxStates == null ? 0 : maxStates, maxSeconds == null ? 0 : maxSeconds)
                .withMemory(memoryBytes());
        long usedSeed = seed != null ? seed : System.nanoTime() & 0xffffffffL;
        Result r;
        // Every copy of the program that explored: their lock graphs together are the run's.
        List<ScenarioProgram> explored = java.util.Collections.synchronizedList(new ArrayList<>());
        try (ProgressBarReporter progress = ProgressBarReporter.forTerminal(s.name() + " [" + v + "]", json)) {
            opts = opts.withProgress(progress);
            Options o = opts;
            if (random != null) {
                explored.add(sp);
                r = Explore.random(sp.program, random, usedSeed, progress, maxSeconds == null ? 0 : maxSeconds);
            } else {
                r = Explore.exhaustive(() -> {
                    ScenarioProgram x = ScenarioProgram.build(s, v);
                    explored.add(x);
                    return x.program;
                }, o, workerCount());
            }
        }
        if (r.found() == null) {
            List<Lockdep> lockdeps = new ArrayList<>();
            synchronized (explored) {
                explored.forEach(x -> lockdeps.add(x.kernel.lockdep));
            }
            lockOrder = lockOrder(lockdeps);
            if (lockOrder != null) {
                r = new Result(Verdict.VIOLATION, null, r.stats(), r.coverage(), null);
            }
        }
        Found found = r.found();
        if (found != null && r.stats().workers() > 1) {
            // Which violation parallel workers meet first depends on timing; the one-worker search's first is the same every run.
            Options first = opts.withProgress(null);
            Result one = Explore.exhaustive(ScenarioProgram.build(s, v).program, first);
            if (one.found() != null) {
                found = one.found();
            }
        }
        TraceView view = null;
        Path traceFile = null;
        shown = found;
        if (found != null) {
            if (minimizeSeconds > 0) {
                Found f = found;
                found = Explore.onBigStack(() -> Minimizer.minimize(sp.program, f, minimizeSeconds));
            }
            traceFile = saveTrace != null ? saveTrace : Path.of("mmcheck-traces", s.name() + "-" + v + ".trace.json");
            save(traceFile, s, sp, found);
            Tracer.Trace t = Traces.replay(ScenarioProgram.build(s, v), found.schedule());
            view = Traces.view(sp, t, "./mmcheck replay " + traceFile);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(JsonReport.toJson(json(s, sp, r, view, traceFile, bound, usedSeed), true));
        } else {
            text(out, s, sp, r, view, bound, usedSeed);
        }
        return switch (r.verdict()) {
            case VERIFIED -> Main.VERIFIED;
            case VIOLATION -> Main.VIOLATION;
            case INCOMPLETE -> Main.INCOMPLETE;
        };
    }

    /**
     * LOCK_ORDER: a cycle in the lock graph of everything explored (a property of the whole
     * exploration, so it is checked once exploring is over and found nothing else). Null if none.
     */
    static Violation lockOrder(List<Lockdep> explored) {
        List<LockGraph> graphs = explored.stream().map(Lockdep::graph).toList();
        return graphs.isEmpty() ? null : LockGraph.union(graphs).lockOrderViolation(new Chains(ScenarioProgram.FRAMES));
    }

    private int workerCount() {
        if (noStateCaching) {
            return 1; // workers share work through the visited-state table
        }
        return workers != null ? workers : Runtime.getRuntime().availableProcessors();
    }

    private void validate() {
        if (workers != null && (workers < 1 || workers > 64)) {
            throw new UsageError("--workers must be between 1 and 64, got " + workers);
        }
        if (workers != null && workers > 1 && (random != null || noStateCaching)) {
            throw new UsageError("--workers shares the visited-state table: it cannot be combined with "
                    + (random != null ? "--random" : "--no-state-caching"));
        }
        if (seed != null && random == null) {
            throw new UsageError("--seed needs --random N");
        }
        if (random != null && random < 1) {
            throw new UsageError("--random must be at least 1, got " + random);
        }
        if (random != null && (maxPreemptions != null || noSleepSets || noLocalSteps || noTransactions || noStateCaching || noMergeHistories
                || noLockBarriers || noAtomicSections || maxStates != null || memory != null)) {
            throw new UsageError("--random cannot be combined with --max-preemptions, --max-states, --memory, --no-sleep-sets, --no-local-steps, --no-transactions, --no-lock-barriers, --no-atomic-sections, --no-merge-histories or --no-state-caching");
        }
        if (maxPreemptions != null && maxPreemptions < 0) {
            throw new UsageError("--max-preemptions must be 0 or more, got " + maxPreemptions);
        }
        if (maxSeconds != null && maxSeconds <= 0) {
            throw new UsageError("--max-seconds must be positive, got " + maxSeconds);
        }
        if (maxStates != null && maxStates < 1) {
            throw new UsageError("--max-states must be at least 1, got " + maxStates);
        }
        if (maxStates != null && noStateCaching) {
            throw new UsageError("--max-states counts cached states: it cannot be used with --no-state-caching");
        }
        if (memory != null && noStateCaching) {
            throw new UsageError("--memory budgets the visited-state table: it cannot be used with --no-state-caching");
        }
        if (minimizeSeconds < 0) {
            throw new UsageError("--minimize-seconds must be 0 or more, got " + minimizeSeconds);
        }
    }

    private long memoryBytes() {
        if (memory == null) {
            return 0;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([KMG]?)").matcher(memory.toUpperCase());
        if (!m.matches()) {
            throw new UsageError("--memory takes a size such as 512M or 4G, got '" + memory + "'");
        }
        long n = Long.parseLong(m.group(1)) << switch (m.group(2)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            default -> 0;
        };
        long heap = Runtime.getRuntime().maxMemory();
        if (n < (1 << 20) || n > heap) {
            throw new UsageError("--memory must be between 1M and the Java heap (" + (heap >> 20) + "M), got " + memory);
        }
        return n;
    }

    private static void save(Path file, Scenario s, ScenarioProgram sp, Found found) {
        boolean builtin = Catalog.names().contains(s.name()) && s.source().startsWith("builtin:");
        TraceFile tf = new TraceFile(1, s.name(), builtin ? null : Path.of(s.source()).toAbsolutePath().toString(),
                sp.variant.name(), paramValues(s), sp.program.threads().stream().map(ThreadSpec::name).toList(),
                found.schedule().choices(), found.violation().kind(), found.violation().message());
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            tf.write(file);
        } catch (IOException e) {
            throw new UsageError("--save-trace: cannot write " + file + ": " + e.getMessage());
        }
    }

    /** The budget that stopped a run; {@code memoryGiven}: whether --memory set it (else half of {@code heap} bytes). */
    static String budgetName(String stoppedBy, boolean memoryGiven, long heap) {
        return switch (stoppedBy == null ? "" : stoppedBy) {
            case "time" -> "time budget (--max-seconds)";
            case "states" -> "state budget (--max-states)";
            case "memory" -> memoryGiven ? "memory budget (--memory)"
                    : "memory budget (half the Java heap, " + (heap >> 21) + "M: --memory, or a larger -Xmx in MMCHECK_JAVA_OPTS, gives more)";
            case "sampling" -> "sample size (--random)";
            default -> "budget";
        };
    }

    static String paramText(Scenario s) {
        StringBuilder sb = new StringBuilder();
        for (Scenario.Param p : s.params()) {
            sb.append(' ').append(p.name()).append('=').append(p.value());
        }
        return sb.toString();
    }

    static Map<String, String> paramValues(Scenario s) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Scenario.Param p : s.params()) {
            m.put(p.name(), Long.toString(p.value()));
        }
        return m;
    }

    private String coverage(ScenarioProgram sp, Result r, int bound) {
        if (random != null) {
            return r.coverage();
        }
        return sp.program.threads().size() + " CPUs (" + String.join(", ", sp.program.threads().stream().map(ThreadSpec::name).toList())
                + "), every interleaving of their steps (longest execution " + r.stats().maxDepth() + " steps), "
                + (bound < 0 ? "no preemption bound" : "at most " + bound + " preemption(s)") + "; " + r.coverage().replaceFirst("^.*reduction: ", "reduction: ");
    }

    private void text(PrintWriter out, Scenario s, ScenarioProgram sp, Result r, TraceView view, int bound, long usedSeed) {
        if (view != null) {
            out.println(ColumnDiagram.render(view));
            out.println();
        }
        if (lockOrder != null) {
            out.println(lockOrder.kind() + ": " + lockOrder.message());
            out.println("(a property of all the executions explored, not of one: no trace; mmcheck locks prints the whole lock graph)");
            out.println();
        }
        out.printf("%s [%s]%s: %s%n", s.name(), sp.variant.name(), paramText(s), r.verdict());
        switch (r.verdict()) {
            case VERIFIED -> out.println("  No interleaving violates the model within these bounds:");
            case INCOMPLETE -> out.println("  Stopped by the " + budgetName(r.stoppedBy(), memory != null, Runtime.getRuntime().maxMemory())
                    + " before exploring everything; nothing was found in what was explored:");
            case VIOLATION -> out.println("  Found while exploring:");
        }
        out.println("  " + coverage(sp, r, bound));
        out.printf("  explored %,d executions, %,d states stored, %,d steps in %.2f s on %d thread%s%n",
                r.stats().executions(), r.stats().states(), r.stats().transitions(), r.stats().seconds(),
                r.stats().workers(), r.stats().workers() == 1 ? "" : "s");
        if (r.stats().restarts() > 0) {
            out.printf("  (the search started again %d time%s: it learned that a step it had taken as local was not; executions and steps count every run, states stored the last)%n",
                    r.stats().restarts(), r.stats().restarts() == 1 ? "" : "s");
        }
        if (random != null) {
            out.println("  replay this sample with: --random " + random + " --seed " + usedSeed);
        }
        String expected = expectation(s, sp, r);
        if (expected != null) {
            out.println("  " + expected);
        }
    }

    /** What the scenario's expect line for this variant says of the verdict, or null without one. */
    private String expectation(Scenario s, ScenarioProgram sp, Result r) {
        for (Scenario.Expectation e : s.expectations()) {
            if (!e.variant().equals(sp.variant.name())) {
                continue;
            }
            String want = e.verdict() + (e.kind() != null ? " " + e.kind() : "");
            String where = "the scenario expects " + want + " (" + e.pos().file() + ":" + e.pos().line() + ")";
            if (r.verdict() == Verdict.INCOMPLETE && lockOrder == null) {
                return where + ": not settled by this run";
            }
            String kind = lockOrder != null ? lockOrder.kind() : shown != null ? shown.violation().kind() : null;
            String got = kind == null ? "VERIFIED" : "VIOLATION " + kind;
            boolean same = kind == null ? e.verdict().equals("VERIFIED")
                    : e.verdict().equals("VIOLATION") && (e.kind() == null || e.kind().equals(kind));
            return where + (same ? ": as expected" : ": this run found " + got + " instead");
        }
        return null;
    }

    private ObjectNode json(Scenario s, ScenarioProgram sp, Result r, TraceView view, Path traceFile, int bound, long usedSeed) {
        ObjectNode o = JsonReport.mapper().createObjectNode();
        o.put("scenario", s.name());
        o.put("variant", sp.variant.name());
        ObjectNode pj = o.putObject("params");
        paramValues(s).forEach(pj::put);
        o.put("verdict", r.verdict().name());
        o.put("expectation", expectation(s, sp, r)); // null when the scenario states none for this variant
        if (lockOrder != null) {
            ObjectNode v = o.putObject("violation");
            v.put("kind", lockOrder.kind());
            v.put("message", lockOrder.message());
            o.putNull("trace");
        } else if (r.found() == null) {
            o.putNull("violation");
            o.putNull("trace");
        } else {
            ObjectNode v = o.putObject("violation");
            v.put("kind", view.violationKind());
            v.put("message", view.violationMessage());
            o.set("trace", JsonReport.traceSteps(view));
            o.put("preemptions", view.preemptions());
            o.put("traceFile", traceFile.toString());
            o.put("replay", view.replayCommand());
        }
        ObjectNode st = o.putObject("stats");
        st.put("executions", r.stats().executions());
        st.put("states", r.stats().states());
        st.put("transitions", r.stats().transitions());
        st.put("maxDepth", r.stats().maxDepth());
        st.put("seconds", r.stats().seconds());
        st.put("workers", r.stats().workers());
        st.put("visitedBytes", r.stats().visitedBytes());
        st.put("restarts", r.stats().restarts());
        if (r.stoppedBy() != null) {
            st.put("stoppedBy", r.stoppedBy());
        }
        ObjectNode c = o.putObject("coverage");
        c.put("exhaustive", random == null && r.verdict() != Verdict.INCOMPLETE);
        c.put("threads", sp.program.threads().size());
        c.put("maxSteps", r.stats().maxDepth());
        if (random != null) {
            c.put("randomExecutions", random);
            c.put("seed", usedSeed);
        } else if (bound < 0) {
            c.putNull("preemptionBound");
        } else {
            c.put("preemptionBound", bound);
        }
        c.put("reduction", random != null ? "none (random sample)" : r.coverage().replaceFirst("^.*reduction: ", ""));
        c.put("statement", coverage(sp, r, bound));
        return o;
    }
}
