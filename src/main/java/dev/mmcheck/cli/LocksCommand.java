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
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "locks", description = "Explore every interleaving of a scenario (as check does, past any violation) and print"
        + " the lock graph it showed: every \"held A while taking B\" between lock classes, first seen where, against the"
        + " documented order (mm/rmap.c), as text and as Graphviz DOT. Exit 0: no cycle and the documented order kept;"
        + " 1: a cycle (LOCK_ORDER), a dependency against the documented order, or a lock rule broken (SLEEP_IN_ATOMIC,"
        + " PROTECTION); 2: bad input; 3: a budget stopped the exploration first.")
final class LocksCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SCENARIO", description = "A built-in scenario name (see 'mmcheck list') or a scenario file.")
    String scenario;

    @Option(names = {"--variant", "-V"}, paramLabel = "NAME", description = "Kernel variant (default: the scenario's first).")
    String variant;

    @Option(names = {"--param", "-p"}, paramLabel = "NAME=VALUE", description = "Set a scale parameter of the scenario (repeatable).")
    Map<String, String> params = new LinkedHashMap<>();

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
        Scenario s = Catalog.load(scenario, params);
        String v = variant != null ? variant : s.variants().get(0).name();
        ScenarioProgram sp = ScenarioProgram.build(s, v);
        Explored e = explore(sp, s.preemptionBound(), maxSeconds == null ? 0 : maxSeconds);
        LockGraph g = sp.kernel.lockdep.graph();
        Chains chains = new Chains(ScenarioProgram.FRAMES);
        PrintWriter out = spec.commandLine().getOut();
        String title = s.name() + " [" + v + "]" + CheckCommand.paramText(s);
        boolean bad = text(out, title, sp.program.threads(), e, g, chains, s.preemptionBound());
        String graph = dot(title, g, chains);
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
        }
        if (bad) {
            return Main.VIOLATION;
        }
        return e.result.verdict() == Verdict.INCOMPLETE ? Main.INCOMPLETE : Main.VERIFIED;
    }

    /** An exploration that does not stop at violations, and the violations it met (first of each kind, and counts). */
    record Explored(Result result, Map<String, Violation> first, Map<String, Long> counts) {}

    static Explored explore(ScenarioProgram sp, int bound, double maxSeconds) {
        return explore(sp.program, bound, maxSeconds);
    }

    static Explored explore(dev.mmcheck.engine.Program program, int bound, double maxSeconds) {
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
        Result r = Explore.onBigStack(() -> new Explorer(program, opts, o).run());
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
        out.printf("  explored %,d executions, %,d distinct states, %,d steps in %.2f s%n",
                r.stats().executions(), r.stats().states(), r.stats().transitions(), r.stats().seconds());
        if (!e.counts.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            e.counts.forEach((k, n) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(" in ").append(n));
            out.println("  executions that ended in a violation (their steps up to it are included): " + sb
                    + " (mmcheck check draws one)");
        }

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
            for (String line : distinct(edge.deps(), chains)) {
                out.println("      " + line);
            }
        }
        List<LockGraph.Dependency> nested = g.nested();
        if (!nested.isEmpty()) {
            out.println();
            out.println("Nested (a class inside itself, which lockdep accepts only with a subclass: spin_lock_nested,"
                    + " mremap's SINGLE_DEPTH_NESTING; not part of the order):");
            for (String line : distinctLabelled(nested, chains)) {
                out.println("  " + line);
            }
        }
        List<LockGraph.Dependency> tries = g.trylocks();
        if (!tries.isEmpty()) {
            out.println();
            out.println("Trylocks (cannot wait, so they order nothing):");
            for (String line : distinctLabelled(tries, chains)) {
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
            if (e.first.containsKey(kind)) {
                bad = true;
                out.println(kind + " in " + e.counts.get(kind) + " execution(s), e.g.: " + e.first.get(kind).message());
            }
        }
        if (LOCK_RULES.stream().noneMatch(e.first::containsKey)) {
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

    private static List<String> distinctLabelled(List<LockGraph.Dependency> deps, Chains chains) {
        java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
        for (LockGraph.Dependency d : deps) {
            out.add(d.fromLabel() + " -> " + d.toLabel() + ": " + LockGraph.shown(d, chains));
        }
        return List.copyOf(out);
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
