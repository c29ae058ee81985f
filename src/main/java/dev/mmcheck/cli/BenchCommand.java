package dev.mmcheck.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Result;
import dev.mmcheck.report.JsonReport;
import dev.mmcheck.scenario.Catalog;
import dev.mmcheck.scenario.Scenario;
import dev.mmcheck.scenario.ScenarioProgram;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", description = "Explore a fixed list of scenario sizes exhaustively and print what each cost:"
        + " executions, states stored, seconds, states per second, peak heap, cores.")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    HelpOption helpOption;

    @Spec
    CommandSpec spec;

    @Option(names = "--case", paramLabel = "SCENARIO:VARIANT[:NAME=V,...]",
            description = "A case to run instead of the default list (repeatable), e.g. s003-mremap-pmd:after:pages=2,users=1.")
    List<String> cases = new ArrayList<>();

    @Option(names = "--curve", paramLabel = "SCENARIO:VARIANT:NAME=A..B[,NAME=V,...]",
            description = "A growth curve (repeatable): the sizes A to B of one parameter, in order, until one does not finish"
                    + " within --max-seconds; the larger ones are listed as not tried. E.g. s000-munlock-exit:after:pages=1..8.")
    List<String> curves = new ArrayList<>();

    @Option(names = "--max-seconds", paramLabel = "S", defaultValue = "120", description = "Budget per case (default: ${DEFAULT-VALUE}); a case that hits it is reported as INCOMPLETE.")
    double maxSeconds;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the table as JSON to FILE.")
    Path json;

    @Option(names = "--workers", paramLabel = "N", description = "Explorer threads per case (default: the number of cores).")
    Integer workers;

    /** The sizes the performance issue measured SPIN and TLC at. */
    static final List<String> DEFAULT = List.of(
            "s003-mremap-pmd:after:pages=3,users=3",
            "s003-mremap-pmd:after:pages=4,users=3",
            "s000-munlock-exit:after:pages=4",
            "s000-munlock-exit:after:pages=5");

    record Row(String scenario, String variant, Map<String, String> params, String verdict, long executions, long states,
            long transitions, double seconds, long peakHeapBytes, int cores, long visitedBytes, int restarts) {}

    @Override
    public Integer call() throws IOException {
        if (maxSeconds <= 0) {
            throw new UsageError("--max-seconds must be positive, got " + maxSeconds);
        }
        if (workers != null && (workers < 1 || workers > 64)) {
            throw new UsageError("--workers must be between 1 and 64, got " + workers);
        }
        PrintWriter out = spec.commandLine().getOut();
        OutputFile.check("--json", json);
        // Groups run in order; a curve's group stops at its first size that does not finish.
        List<List<String>> groups = new ArrayList<>();
        for (String c : cases.isEmpty() && curves.isEmpty() ? DEFAULT : cases) {
            groups.add(List.of(c));
        }
        List<Boolean> isCurve = new ArrayList<>(java.util.Collections.nCopies(groups.size(), false));
        for (String c : curves) {
            groups.add(curve(c));
            isCurve.add(true);
        }
        for (int gi = 0; gi < groups.size(); gi++) {
            for (String c : groups.get(gi)) {
                prepare(c, isCurve.get(gi) ? "--curve" : "--case"); // checked before the first runs: no half table for a typo
            }
        }
        List<Row> rows = new ArrayList<>();
        List<String> notTried = new ArrayList<>();
        out.printf("%-18s %-8s %-16s %-10s %12s %14s %9s %12s %10s %9s %5s %8s%n", "scenario", "variant", "params", "verdict",
                "executions", "states", "seconds", "states/s", "peak heap", "B/state", "cores", "restarts");
        for (int gi = 0; gi < groups.size(); gi++) {
            List<String> g = groups.get(gi);
            for (int i = 0; i < g.size(); i++) {
                Row r = run(g.get(i));
                rows.add(r);
                out.printf("%-18s %-8s %-16s %-10s %,12d %,14d %9.2f %,12.0f %9dM %9.1f %5d %8d%n", r.scenario(), r.variant(),
                        paramText(r.params()), r.verdict(), r.executions(), r.states(), r.seconds(),
                        r.states() / Math.max(r.seconds(), 1e-9), r.peakHeapBytes() >> 20,
                        r.states() == 0 ? 0.0 : (double) r.visitedBytes() / r.states(), r.cores(), r.restarts());
                out.flush();
                if (isCurve.get(gi) && r.verdict().equals("INCOMPLETE") && i + 1 < g.size()) {
                    List<String> rest = g.subList(i + 1, g.size());
                    notTried.addAll(rest);
                    out.printf("  not tried, as %s did not finish: %s%n", paramText(r.params()),
                            String.join(" ", rest.stream().map(c -> c.substring(c.lastIndexOf(':') + 1)).toList()));
                    break;
                }
            }
        }
        if (json != null) {
            ObjectNode o = JsonReport.mapper().createObjectNode();
            o.put("date", LocalDate.now().toString());
            o.put("java", System.getProperty("java.version"));
            o.put("availableProcessors", Runtime.getRuntime().availableProcessors());
            ArrayNode a = o.putArray("cases");
            for (Row r : rows) {
                a.addPOJO(r);
            }
            ArrayNode skipped = o.putArray("notTried");
            notTried.forEach(skipped::add);
            OutputFile.write("--json", json, JsonReport.toJson(o, true) + "\n");
        }
        return Main.VERIFIED;
    }

    /** The cases of a curve, smallest first: SCENARIO:VARIANT:NAME=A..B[,NAME=V,...]. */
    static List<String> curve(String spec) {
        String[] parts = spec.split(":");
        if (parts.length != 3) {
            throw new UsageError("--curve " + spec + ": expected SCENARIO:VARIANT:NAME=A..B[,NAME=V,...]");
        }
        String[] kvs = parts[2].split(",");
        int ranged = -1;
        for (int i = 0; i < kvs.length; i++) {
            if (kvs[i].contains("..")) {
                if (ranged >= 0) {
                    throw new UsageError("--curve " + spec + ": only one parameter can range, found " + kvs[ranged] + " and " + kvs[i]);
                }
                ranged = i;
            }
        }
        if (ranged < 0) {
            throw new UsageError("--curve " + spec + ": no parameter ranges (write NAME=A..B)");
        }
        String kv = kvs[ranged];
        int eq = kv.indexOf('=');
        String[] ends = eq < 1 ? new String[0] : kv.substring(eq + 1).split("\\.\\.", -1);
        long from;
        long to;
        try {
            if (ends.length != 2) {
                throw new NumberFormatException();
            }
            from = Long.parseLong(ends[0].trim());
            to = Long.parseLong(ends[1].trim());
        } catch (NumberFormatException x) {
            throw new UsageError("--curve " + spec + ": expected NAME=A..B with whole numbers, found '" + kv + "'");
        }
        if (from > to || to - from > 64) {
            throw new UsageError("--curve " + spec + ": " + kv + " must go up, by at most 64 sizes");
        }
        List<String> out = new ArrayList<>();
        for (long v = from; v <= to; v++) {
            String[] one = kvs.clone();
            one[ranged] = kv.substring(0, eq) + "=" + v;
            out.add(parts[0] + ":" + parts[1] + ":" + String.join(",", one));
        }
        return out;
    }

    /** A case parsed and its scenario built for its variant. */
    private record Prepared(String[] parts, Map<String, String> params, Scenario scenario) {}

    private static Prepared prepare(String spec) {
        return prepare(spec, "--case");
    }

    /** {@code flag}: the option the case came from, for error messages. */
    private static Prepared prepare(String spec, String flag) {
        String[] parts = spec.split(":");
        if (parts.length < 2 || parts.length > 3) {
            throw new UsageError("--case " + spec + ": expected SCENARIO:VARIANT[:NAME=V,...]");
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (parts.length == 3) {
            for (String kv : parts[2].split(",")) {
                int eq = kv.indexOf('=');
                if (eq < 1) {
                    throw new UsageError("--case " + spec + ": expected NAME=VALUE, found '" + kv + "'");
                }
                if (params.put(kv.substring(0, eq), kv.substring(eq + 1)) != null) {
                    throw new UsageError("--case " + spec + ": " + kv.substring(0, eq) + " is given twice");
                }
            }
        }
        Scenario s;
        try {
            s = Catalog.load(parts[0], params);
        } catch (dev.mmcheck.scenario.ScenarioError e) {
            if (e.getMessage().startsWith("--param ")) {
                throw new UsageError(flag + " " + spec + ": " + e.getMessage().substring("--param ".length()));
            }
            throw e;
        }
        ScenarioProgram.build(s, parts[1]);
        return new Prepared(parts, params, s);
    }

    private Row run(String spec) {
        Prepared prep = prepare(spec);
        String[] parts = prep.parts();
        Map<String, String> params = prep.params();
        Scenario s = prep.scenario();
        System.gc();
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        int w = workers != null ? workers : Runtime.getRuntime().availableProcessors();
        Result r = Explore.exhaustive(() -> ScenarioProgram.build(s, parts[1]).program,
                Options.exhaustive().withStopAtFirst(true).withBudget(0, maxSeconds), w);
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        return new Row(s.name(), parts[1], params, r.verdict().name(), r.stats().executions(), r.stats().states(),
                r.stats().transitions(), r.stats().seconds(), peak, r.stats().workers(), r.stats().visitedBytes(), r.stats().restarts());
    }

    private static String paramText(Map<String, String> p) {
        StringBuilder sb = new StringBuilder();
        p.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }
}
