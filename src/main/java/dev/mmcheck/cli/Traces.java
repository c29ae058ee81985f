package dev.mmcheck.cli;

import dev.mmcheck.engine.Program;
import dev.mmcheck.engine.Schedule;
import dev.mmcheck.engine.ThreadSpec;
import dev.mmcheck.engine.Tracer;
import dev.mmcheck.report.TraceView;
import dev.mmcheck.scenario.ScenarioProgram;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Turns an engine trace into the plain view that reports render. */
final class Traces {
    private Traces() {}

    static Tracer.Trace replay(ScenarioProgram sp, Schedule schedule) {
        return Tracer.replay(sp.program, schedule, ScenarioProgram.FRAMES);
    }

    static TraceView view(ScenarioProgram sp, Tracer.Trace t, String replayCommand) {
        Program p = sp.program;
        List<String> columns = p.threads().stream().map(ThreadSpec::name).toList();
        List<TraceView.Row> rows = new ArrayList<>();
        for (Tracer.Step s : t.steps()) {
            rows.add(new TraceView.Row(s.thread(), s.what(), s.frames() == null ? List.of() : Arrays.asList(s.frames()), s.preemption()));
        }
        String kind = t.violation() == null ? null : t.violation().kind();
        String msg = t.violation() == null ? null : t.violation().message();
        return new TraceView(sp.scenario.name(), sp.variant.name(), columns, rows, kind, msg, t.preemptions(), replayCommand);
    }
}
