package dev.mmcheck.cli;

import dev.mmcheck.engine.Schedule;
import dev.mmcheck.engine.ThreadSpec;
import dev.mmcheck.engine.Tracer;
import dev.mmcheck.report.ColumnDiagram;
import dev.mmcheck.report.JsonReport;
import dev.mmcheck.report.TraceFile;
import dev.mmcheck.report.TraceFileException;
import dev.mmcheck.report.TraceView;
import dev.mmcheck.scenario.Catalog;
import dev.mmcheck.scenario.Scenario;
import dev.mmcheck.scenario.ScenarioProgram;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "replay", description = "Re-execute a saved counterexample step by step and print it again.")
final class ReplayCommand implements Callable<Integer> {
    @Mixin
    HelpOption helpOption;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TRACE_FILE", description = "A trace saved by 'mmcheck check'.")
    Path file;

    @Option(names = "--json", description = "Print one JSON object on stdout instead of text.")
    boolean json;

    @Override
    public Integer call() throws TraceFileException {
        TraceFile tf = TraceFile.read(file);
        Scenario s = Catalog.load(tf.scenarioPath() != null ? tf.scenarioPath() : tf.scenario(),
                tf.params() == null ? java.util.Map.of() : tf.params());
        ScenarioProgram sp = ScenarioProgram.build(s, tf.variant());
        List<String> threads = sp.program.threads().stream().map(ThreadSpec::name).toList();
        if (!threads.equals(tf.threads())) {
            throw new TraceFileException(file, "it was recorded with CPUs " + tf.threads() + " but the scenario now has " + threads);
        }
        Tracer.Trace t = Traces.replay(sp, new Schedule(tf.schedule()));
        if (t.error() != null) {
            throw new TraceFileException(file, "cannot be replayed on the scenario as it is now: " + t.error());
        }
        if (t.unfinished() != 0) {
            List<String> running = new ArrayList<>();
            for (int i = 0; i < threads.size(); i++) {
                if ((t.unfinished() & (1L << i)) != 0) {
                    running.add(threads.get(i));
                }
            }
            throw new TraceFileException(file, "its schedule stops after " + t.steps().size() + " steps while "
                    + String.join(", ", running) + " can still run: a trace is a whole execution, to a violation or to the end");
        }
        TraceView view = Traces.view(sp, t, "./mmcheck replay " + file);
        PrintWriter out = spec.commandLine().getOut();
        boolean same = t.violation() != null && t.violation().kind().equals(tf.violationKind());
        if (json) {
            var o = JsonReport.mapper().createObjectNode();
            o.put("scenario", s.name());
            o.put("variant", tf.variant());
            o.put("reproduced", same);
            if (t.violation() == null) {
                o.putNull("violation");
            } else {
                o.putObject("violation").put("kind", t.violation().kind()).put("message", t.violation().message());
            }
            o.set("trace", JsonReport.traceSteps(view));
            out.println(JsonReport.toJson(o, true));
        } else {
            out.println(ColumnDiagram.render(view));
            if (!same) {
                out.println();
                out.println("Note: the trace was recorded ending in " + tf.violationKind()
                        + (t.violation() == null ? "; it now ends without a violation." : "; it now ends in " + t.violation().kind() + "."));
            }
        }
        return t.violation() != null ? Main.VIOLATION : Main.VERIFIED;
    }
}
