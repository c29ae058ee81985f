package dev.mmcheck.cli;

import dev.mmcheck.engine.Explorer;
import dev.mmcheck.engine.Memory;
import dev.mmcheck.engine.Observer;
import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Result;
import dev.mmcheck.engine.Schedule;
import dev.mmcheck.engine.ThreadSpec;
import dev.mmcheck.engine.Verdict;
import dev.mmcheck.engine.Violation;
import dev.mmcheck.mm.Kinds;
import dev.mmcheck.mm.lockdep.Chains;
import dev.mmcheck.mm.lockdep.LockClass;
import dev.mmcheck.mm.lockdep.LockGraph;
import dev.mmcheck.mm.lockdep.Lockdep;
import dev.mmcheck.mm.lockdep.Rule;
import dev.mmcheck.scenario.Catalog;
import dev.mmcheck.scenario.Scenario;
import dev.mmcheck.scenario.ScenarioProgram;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "locks", description = "Explore every interleaving of a scenario (as check does, past any violation) and print"
        + " the lock graph it showed: every \"held A while taking B\" between lock classes, first seen where, against the"
        + " documented order (mm/rmap.c), as text and as Graphviz DOT. With --all: every built-in scenario and variant, and"
        + " the union of their graphs. Exit 0: no cycle and the documented order kept; 1: a cycle (LOCK_ORDER), a"
        + " dependency against the documented order, or a lock rule broken (SLEEP_IN_ATOMIC, PROTECTION; with --all, only"
        + " in a variant expected to verify); 2: bad input; 3: a budget stopped the exploration first.")
final class LocksCommand implements Callable<Integer> {
    @Mixin
    HelpOption helpOption;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "SCENARIO", description = "A built-in scenario name (see 'mmcheck list') or a scenario file.")
    String scenario;

    @Option(names = "--all", description = "Every built-in scenario, every variant (default parameters), and the union of their lock graphs.")
    boolean all;

    @Option(names = {"--variant", "-V"}, paramLabel = "NAME", description = "Kernel variant (default: the scenario's first).")
    String variant;

    @Mixin
    ParamArgs params;

    @Option(names = "--dot", paramLabel = "FILE", description = "Write the DOT graph to FILE instead of printing it.")
    Path dot;

    @Option(names = "--max-seconds", paramLabel = "S", description = "Stop exploring after S seconds (default: no limit).")
    Double maxSeconds;

    /** Lock rules a single execution can break; they make the lock verdict fail too. */
    static final List<String> LOCK_RULES = List.of(Kinds.SLEEP_IN_ATOMIC, Kinds.PROTECTION);

    @Override
    public Integer call() {
        if (maxSeconds != null && maxSeconds <= 0) {
            throw new UsageError("--max-seconds must be positive, got " + maxSeconds);
        }
        if (all == (scenario != null)) {
            throw new UsageError(all ? "--all takes no SCENARIO" : "missing SCENARIO (or --all for the whole catalog)");
        }
        OutputFile.check("--dot", dot);
        if (all && (variant != null || !params.isEmpty())) {
            throw new UsageError("--all runs every variant with its default parameters: no --variant or --param");
        }
        if (all) {
            return all();
        }
        Scenario s = Catalog.load(scenario, params.map());
        String v = variant != null ? variant : s.variants().get(0).name();
        ScenarioProgram sp = ScenarioProgram.build(s, v);
        Explored e = explore(sp, s.preemptionBound(), maxSeconds == null ? 0 : maxSeconds);
        LockGraph g = sp.kernel.lockdep.graph();
        Chains chains = new Chains(ScenarioProgram.FRAMES);
        PrintWriter out = spec.commandLine().getOut();
        String title = s.name() + " [" + v + "]" + CheckCommand.paramText(s);
        boolean bad = text(out, title, sp.program.threads(), e, g, chains, s.preemptionBound());
        printDot(out, dot(title, g, chains));
        if (bad) {
            return Main.VIOLATION;
        }
        return e.result.verdict() == Verdict.INCOMPLETE ? Main.INCOMPLETE : Main.VERIFIED;
    }

    private void printDot(PrintWriter out, String graph) {
        if (dot != null) {
            try {
                if (dot.getParent() != null) {
                    Files.createDirectories(dot.getParent());
                }
                Files.writeString(dot, graph);
            } catch (IOException x) {
                throw new UsageError("--dot: cannot write " + dot + ": " + x.getMessage());
            }
            out.println("DOT graph written to " + dot);
        } else {
            out.println();
            out.print(graph);
            out.flush();
        }
    }

    /** One variant of the catalog, explored. */
    private record Done(Scenario s, String variant, ScenarioProgram sp, Explored e, LockGraph g, RuntimeException error) {}

    private int all() {
        List<Scenario> cat = Catalog.all();
        List<String[]> tasks = new java.util.ArrayList<>();
        for (Scenario s : cat) {
            for (Scenario.Variant v : s.variants()) {
                tasks.add(new String[] {s.name(), v.name()});
            }
        }
        Done[] done = new Done[tasks.size()];
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> threads = new java.util.ArrayList<>();
        for (int w = 0; w < Math.min(tasks.size(), Runtime.getRuntime().availableProcessors()); w++) {
            Thread t = new Thread(null, () -> {
                for (int i; (i = next.getAndIncrement()) < tasks.size(); ) {
                    Scenario s = Catalog.builtin(tasks.get(i)[0]);
                    String v = tasks.get(i)[1];
                    try {
                        ScenarioProgram sp = ScenarioProgram.build(s, v);
                        sp.kernel.lockdep.setSource(s.name() + " [" + v + "]");
                        Explored e = explore(sp.program, s.preemptionBound(), maxSeconds == null ? 0 : maxSeconds, false);
                        done[i] = new Done(s, v, sp, e, sp.kernel.lockdep.graph(), null);
                    } catch (RuntimeException x) {
                        done[i] = new Done(s, v, null, null, null, x);
                    }
                }
            }, "mmcheck-locks-" + w, 1L << 30);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(x);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        Chains chains = new Chains(ScenarioProgram.FRAMES);
        out.println("Lock graphs of the built-in catalog: every scenario, every variant, every interleaving (default"
                + " parameters, not stopping at violations)");
        boolean bad = false;
        boolean partial = false;
        List<LockGraph> graphs = new java.util.ArrayList<>();
        for (Done d : done) {
            if (d.error != null) {
                throw d.error;
            }
            graphs.add(d.g);
            String title = d.s.name() + " [" + d.variant + "]";
            boolean cycle = !d.g.cycles().isEmpty();
            boolean against = !d.g.against().isEmpty();
            Scenario.Expectation x = d.s.expectation(d.variant);
            boolean expectsViolation = x != null && x.verdict().equals(Verdict.VIOLATION.name());
            List<String> rules = LOCK_RULES.stream().filter(d.e.first::containsKey).toList();
            bad |= cycle || against || (!rules.isEmpty() && !expectsViolation);
            partial |= d.e.result.verdict() == Verdict.INCOMPLETE;
            out.printf("  %-46s %,11d states %3d dependencies  %s%s%s%n", title, d.e.result.stats().states(), d.g.edges().size(),
                    cycle ? "CYCLE" : "acyclic", against ? ", AGAINST the documented order" : ", in the documented order",
                    rules.stream().map(k -> "; " + k + " in " + d.e.counts.get(k) + " execution(s)"
                            + (expectsViolation ? " (a variant expected to fail: " + x.kind() + ")" : "")).reduce("", String::concat));
        }
        LockGraph union = LockGraph.union(graphs);
        out.println();
        out.println("The union of those " + done.length + " graphs:");
        bad |= body(out, union, chains, Map.of(), Map.of(), true);
        printDot(out, dot("the built-in catalog", union, chains));
        if (bad) {
            return Main.VIOLATION;
        }
        return partial ? Main.INCOMPLETE : Main.VERIFIED;
    }

    /** An exploration that does not stop at violations, and the violations it met (first of each kind, and counts). */
    record Explored(Result result, Map<String, Violation> first, Map<String, Long> counts) {}

    static Explored explore(ScenarioProgram sp, int bound, double maxSeconds) {
        return explore(sp.program, bound, maxSeconds, true);
    }

    static Explored explore(dev.mmcheck.engine.Program program, int bound, double maxSeconds) {
        return explore(program, bound, maxSeconds, true);
    }

    private static Explored explore(dev.mmcheck.engine.Program program, int bound, double maxSeconds, boolean bigStack) {
        Map<String, Violation> first = new LinkedHashMap<>();
        Map<String, Long> counts = new LinkedHashMap<>();
        Observer o = new Observer() {
            public void onFinal(Memory m, Schedule schedule) {}

            public void onViolation(Violation v, Schedule schedule) {
                first.putIfAbsent(v.kind(), v);
                counts.merge(v.kind(), 1L, Long::sum);
            }
        };
        Options opts = Options.exhaustive().withPreemptionBound(bound).withStopAtFirst(false).withBudget(0, maxSeconds);
        Result r = bigStack ? Explore.onBigStack(() -> new Explorer(program, opts, o).run()) : new Explorer(program, opts, o).run();
        return new Explored(r, first, counts);
    }

    /** Prints the report; returns whether the lock verdict fails. */
    static boolean text(PrintWriter out, String title, List<ThreadSpec> threads, Explored e, LockGraph g, Chains chains, int bound) {
        Result r = e.result;
        out.println("Lock graph of " + title + ": the locks every explored execution took");
        out.println("  " + threads.size() + " CPUs (" + String.join(", ", threads.stream().map(ThreadSpec::name).toList())
                + "), every interleaving" + (bound < 0 ? "" : " with at most " + bound + " preemption(s)")
                + ", not stopping at violations"
                + (r.verdict() == Verdict.INCOMPLETE ? " (STOPPED by the time budget: what follows is partial)" : ""));
        out.printf("  explored %,d executions, %,d states stored, %,d steps in %.2f s%n",
                r.stats().executions(), r.stats().states(), r.stats().transitions(), r.stats().seconds());
        if (!e.counts.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            e.counts.forEach((k, n) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(" in ").append(n));
            out.println("  executions that ended in a violation (their steps up to it are included): " + sb
                    + " (mmcheck check draws one)");
        }
        return body(out, g, chains, e.first, e.counts, false);
    }

    /**
     * The graph, its standing and the lock rules; returns whether the lock verdict fails.
     * {@code many}: graphs of several programs, shown with one witness per dependency and the list of sources.
     */
    static boolean body(PrintWriter out, LockGraph g, Chains chains, Map<String, Violation> first, Map<String, Long> counts, boolean many) {
        out.println();
        out.println("Lock classes seen, in the documented order (outer first):");
        for (LockClass c : g.classes()) {
            out.printf("  %-16s %s%s%n", c.name, c.sleeps ? "(sleeps) " : "", c.documented);
        }

        List<LockGraph.Edge> edges = g.edges();
        List<List<LockGraph.Edge>> cycles = g.cycles();
        out.println();
        out.println("Dependencies (held -> taken), with the first acquisition that showed each:");
        if (edges.isEmpty()) {
            out.println("  none: no lock was taken while another was held");
        }
        for (LockGraph.Edge edge : edges) {
            boolean reverse = edges.stream().anyMatch(x -> x.from() == edge.to() && x.to() == edge.from());
            out.printf("  %s -> %s   [%s; %s]%n", edge.from().name, edge.to().name, standing(edge),
                    reverse ? "REVERSE ALSO SEEN" : "reverse never seen");
            out.println("      modes: " + edge.modes());
            if (many) {
                out.println("      first seen: " + LockGraph.shown(edge.first(), chains));
                out.println("      in: " + String.join(", ", sources(edge.deps())));
            } else {
                for (String line : distinct(edge.deps(), chains)) {
                    out.println("      " + line);
                }
            }
        }
        List<LockGraph.Dependency> nested = g.nested();
        if (!nested.isEmpty()) {
            out.println();
            out.println("Nested (a class inside itself, which lockdep accepts only with a subclass: spin_lock_nested,"
                    + " mremap's SINGLE_DEPTH_NESTING; not part of the order):");
            for (String line : distinctLabelled(nested, chains, many)) {
                out.println("  " + line);
            }
        }
        List<LockGraph.Dependency> tries = g.trylocks();
        if (!tries.isEmpty()) {
            out.println();
            out.println("Trylocks (cannot wait, so they order nothing):");
            for (String line : distinctLabelled(tries, chains, many)) {
                out.println("  " + line);
            }
        }

        out.println();
        out.println("Protected fields (a change without the lock ends the execution with PROTECTION):");
        for (Rule rule : g.rules()) {
            out.println("  " + rule.field() + ": " + rule.guard() + (rule.exceptions().isEmpty() ? "" : "; annotated exception: " + rule.exceptions()));
        }
        out.printf("  %,d protected changes checked%n", g.checkedWrites());
        for (Lockdep.ExceptionSeen x : g.exceptions()) {
            out.println("  known exception '" + x.name + "' taken " + x.count + " time(s), first by "
                    + x.who() + " at " + x.step + ": " + x.message);
        }

        out.println();
        boolean bad = false;
        if (!cycles.isEmpty()) {
            bad = true;
            out.println(Kinds.LOCK_ORDER + ": " + g.lockOrderViolation(chains).message());
            for (List<LockGraph.Edge> c : cycles.subList(1, cycles.size())) {
                StringBuilder sb = new StringBuilder("  also: ");
                c.forEach(x -> sb.append(x.from().name).append(" -> "));
                out.println(sb.append(c.get(0).from().name));
            }
        } else {
            out.println("No cycle among the " + g.classes().size() + " lock classes seen: no interleaving of these"
                    + " acquisitions can deadlock on them (ABBA).");
        }
        List<LockGraph.Edge> against = g.against();
        if (!against.isEmpty()) {
            bad = true;
            for (LockGraph.Edge x : against) {
                out.println(Kinds.LOCK_ORDER + ": " + x.from().name + " -> " + x.to().name
                        + " goes against the documented order (" + x.to().name + " ranks above " + x.from().name + "): "
                        + LockGraph.shown(x.first(), chains));
            }
        } else if (!edges.isEmpty()) {
            out.println("Every dependency follows the documented order (mm/rmap.c, reference section 2.1)"
                    + (edges.stream().anyMatch(x -> x.standing() == LockGraph.Standing.UNDOCUMENTED)
                    ? ", or involves a class it does not place." : "."));
        }
        for (String kind : LOCK_RULES) {
            if (first.containsKey(kind)) {
                bad = true;
                out.println(kind + " in " + counts.get(kind) + " execution(s), e.g.: " + first.get(kind).message());
            }
        }
        if (!many && LOCK_RULES.stream().noneMatch(first::containsKey)) {
            out.println("No blocking acquisition under a spinlock (SLEEP_IN_ATOMIC) and no protected field changed"
                    + " without its lock (PROTECTION) in any explored execution.");
        }
        return bad;
    }

    private static String standing(LockGraph.Edge e) {
        return switch (e.standing()) {
            case DOCUMENTED -> "documented order";
            case AGAINST -> "AGAINST the documented order";
            case UNDOCUMENTED -> "not placed by the documented order";
        };
    }

    /** One line per CPU (and the set-up) that showed one of these dependencies: its first acquisition. */
    private static List<String> distinct(List<LockGraph.Dependency> deps, Chains chains) {
        java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
        for (LockGraph.Dependency d : deps) {
            out.add(LockGraph.shown(d, chains));
        }
        return List.copyOf(out);
    }

    private static List<String> distinctLabelled(List<LockGraph.Dependency> deps, Chains chains, boolean many) {
        if (many) {
            Map<String, List<LockGraph.Dependency>> by = new LinkedHashMap<>();
            deps.forEach(d -> by.computeIfAbsent(d.fromLabel() + " -> " + d.toLabel(), x -> new java.util.ArrayList<>()).add(d));
            List<String> out = new java.util.ArrayList<>();
            by.forEach((label, l) -> out.add(label + ": " + LockGraph.shown(l.get(0), chains) + "\n      in: "
                    + String.join(", ", sources(l))));
            return out;
        }
        java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
        for (LockGraph.Dependency d : deps) {
            out.add(d.fromLabel() + " -> " + d.toLabel() + ": " + LockGraph.shown(d, chains));
        }
        return List.copyOf(out);
    }

    private static List<String> sources(List<LockGraph.Dependency> deps) {
        java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
        deps.forEach(d -> out.add(String.valueOf(d.witness().origin().source())));
        List<String> l = List.copyOf(out);
        return l.size() <= 6 ? l : java.util.stream.Stream.concat(l.subList(0, 5).stream(),
                java.util.stream.Stream.of("and " + (l.size() - 5) + " more")).toList();
    }

    static String dot(String title, LockGraph g, Chains chains) {
        StringBuilder sb = new StringBuilder();
        sb.append("digraph locks {\n");
        sb.append("  label=\"").append(esc("lock graph of " + title)).append("\";\n");
        sb.append("  node [shape=box];\n");
        for (LockClass c : g.classes()) {
            sb.append("  \"").append(esc(c.name)).append("\"").append(c.sleeps ? "" : " [style=rounded]").append(";\n");
        }
        List<List<LockGraph.Edge>> cycles = g.cycles();
        for (LockGraph.Edge e : g.edges()) {
            boolean inCycle = cycles.stream().anyMatch(c -> c.contains(e));
            String color = inCycle || e.standing() == LockGraph.Standing.AGAINST ? "red" : "black";
            sb.append("  \"").append(esc(e.from().name)).append("\" -> \"").append(esc(e.to().name)).append("\" [color=")
                    .append(color).append(", label=\"").append(esc(String.join(" > ", chains.taken(e.first().witness()))))
                    .append("\"];\n");
        }
        java.util.Set<String> drawn = new java.util.HashSet<>();
        for (LockGraph.Dependency d : g.nested()) {
            if (drawn.add("n" + d.from().name)) {
                sb.append("  \"").append(esc(d.from().name)).append("\" -> \"").append(esc(d.to().name))
                        .append("\" [style=dashed, label=\"nested\"];\n");
            }
        }
        for (LockGraph.Dependency d : g.trylocks()) {
            if (drawn.add("t" + d.from().name + "\n" + d.to().name)) {
                sb.append("  \"").append(esc(d.from().name)).append("\" -> \"").append(esc(d.to().name))
                        .append("\" [style=dotted, label=\"trylock\"];\n");
            }
        }
        return sb.append("}\n").toString();
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
