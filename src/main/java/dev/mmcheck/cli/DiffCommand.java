package dev.mmcheck.cli;

import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Schedule;
import dev.mmcheck.engine.Verdict;
import dev.mmcheck.report.ColumnDiagram;
import dev.mmcheck.scenario.Catalog;
import dev.mmcheck.scenario.Scenario;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "diff", description = "Compare the outcomes two variants of a scenario can reach (violations and final"
        + " states), with a witness for each difference and where it parts from the other variant.")
final class DiffCommand implements Callable<Integer> {
    @Mixin
    HelpOption helpOption;

    @Spec
    CommandSpec spec;

    @Mixin
    CompareArgs args;

    @Override
    public Integer call() {
        return run(spec, args, false);
    }

    /** Shared by diff and equiv; equiv prints less. */
    static int run(CommandSpec spec, CompareArgs args, boolean equiv) {
        String a = args.a;
        String b = args.b;
        Integer maxPreemptions = args.maxPreemptions;
        Double maxSeconds = args.maxSeconds;
        if (maxPreemptions != null && maxPreemptions < 0) {
            throw new UsageError("--max-preemptions must be 0 or more, got " + maxPreemptions);
        }
        if (maxSeconds != null && maxSeconds <= 0) {
            throw new UsageError("--max-seconds must be positive, got " + maxSeconds);
        }
        Scenario s = Catalog.load(args.scenario, args.params.map());
        Options o = Options.exhaustive().withPreemptionBound(maxPreemptions == null ? s.preemptionBound() : maxPreemptions)
                .withBudget(0, maxSeconds == null ? 0 : maxSeconds);
        Compare.Outcomes oa = Compare.explore(s, a, o);
        Compare.Outcomes ob = Compare.explore(s, b, o);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%s: %s vs %s%n", s.name(), a, b);
        out.printf("  %-14s %s%n", a + ":", Compare.summary(oa));
        out.printf("  %-14s %s%n", b + ":", Compare.summary(ob));
        Map<String, Schedule> onlyA = Compare.onlyIn(oa, ob);
        Map<String, Schedule> onlyB = Compare.onlyIn(ob, oa);
        boolean incomplete = oa.result().verdict() == Verdict.INCOMPLETE || ob.result().verdict() == Verdict.INCOMPLETE;
        if (onlyA.isEmpty() && onlyB.isEmpty()) {
            out.println(incomplete ? "No difference in what was explored, but a budget stopped the exploration: not a proof."
                    : (equiv ? "Equivalent: the same final states and violations over every interleaving."
                            : "Identical outcomes: the same final states and violations over every interleaving."));
            return incomplete ? Main.INCOMPLETE : Main.VERIFIED;
        }
        if (equiv) {
            Map.Entry<String, Schedule> first = !onlyA.isEmpty() ? onlyA.entrySet().iterator().next() : onlyB.entrySet().iterator().next();
            Compare.Outcomes has = !onlyA.isEmpty() ? oa : ob;
            Compare.Outcomes lacks = has == oa ? ob : oa;
            out.println("Not equivalent: " + has.program().variant.name() + " reaches " + first.getKey().replace("\n", "\n  "));
            out.println(ColumnDiagram.render(Compare.view(has, first.getValue())));
            out.println("On " + lacks.program().variant.name() + " the same schedule parts at " + Compare.divergence(has, lacks, first.getValue()));
            return Main.VIOLATION;
        }
        report(out, oa, ob, onlyA);
        report(out, ob, oa, onlyB);
        return Main.VIOLATION;
    }

    private static void report(PrintWriter out, Compare.Outcomes has, Compare.Outcomes lacks, Map<String, Schedule> only) {
        if (only.isEmpty()) {
            return;
        }
        out.printf("%nOnly %s reaches (%d):%n", has.program().variant.name(), only.size());
        boolean drawn = false;
        for (Map.Entry<String, Schedule> e : only.entrySet()) {
            out.println("  " + e.getKey().replace("\n", "\n  "));
            out.println("    replayed on " + lacks.program().variant.name() + ", it parts at " + Compare.divergence(has, lacks, e.getValue()));
            if (!drawn && !e.getKey().startsWith("final state")) {
                out.println(ColumnDiagram.render(Compare.view(has, e.getValue())));
                drawn = true;
            }
        }
    }
}
