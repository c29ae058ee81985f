package dev.mmcheck.cli;

import dev.mmcheck.engine.Found;
import dev.mmcheck.engine.Memory;
import dev.mmcheck.engine.Observer;
import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Result;
import dev.mmcheck.engine.Schedule;
import dev.mmcheck.engine.Tracer;
import dev.mmcheck.engine.Violation;
import dev.mmcheck.mm.FinalState;
import dev.mmcheck.report.TraceView;
import dev.mmcheck.scenario.Scenario;
import dev.mmcheck.scenario.ScenarioProgram;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Every outcome a variant can reach, and how two variants' outcomes differ. */
final class Compare {
    private Compare() {}

    /** What one variant reaches: its final states and violation kinds, each with a schedule that reaches it. */
    record Outcomes(ScenarioProgram program, Result result, Map<String, Schedule> finals, Map<String, Found> violations) {}

    static Outcomes explore(Scenario s, String variant, Options base) {
        ScenarioProgram sp = ScenarioProgram.build(s, variant);
        Map<String, Schedule> finals = new TreeMap<>();
        Map<String, Found> violations = new TreeMap<>();
        Observer obs = new Observer() {
            @Override
            public void onFinal(Memory m, Schedule schedule) {
                finals.putIfAbsent(FinalState.describe(sp.kernel, m), schedule);
            }

            @Override
            public void onViolation(Violation v, Schedule schedule) {
                violations.putIfAbsent(v.kind(), new Found(v, schedule));
            }
        };
        Result r = Explore.onBigStack(() -> new dev.mmcheck.engine.Explorer(sp.program, base.withStopAtFirst(false), obs).run());
        return new Outcomes(sp, r, finals, violations);
    }

    /** The outcomes (violation kinds, then final states) that a reaches and b does not, with a witness schedule each. */
    static Map<String, Schedule> onlyIn(Outcomes a, Outcomes b) {
        Map<String, Schedule> out = new LinkedHashMap<>();
        a.violations().forEach((kind, f) -> {
            if (!b.violations().containsKey(kind)) {
                out.put(f.violation().toString(), f.schedule());
            }
        });
        a.finals().forEach((state, sched) -> {
            if (!b.finals().containsKey(state)) {
                out.put("final state:\n" + indent(state, "      "), sched);
            }
        });
        return out;
    }

    /** Replays a's witness on b and says at which step the two executions part. */
    static String divergence(Outcomes a, Outcomes b, Schedule s) {
        Tracer.Trace ta = Traces.replay(a.program(), s);
        Tracer.Trace tb = Traces.replay(b.program(), s);
        List<Tracer.Step> sa = ta.steps();
        List<Tracer.Step> sb = tb.steps();
        int n = Math.min(sa.size(), sb.size());
        for (int i = 0; i < n; i++) {
            if (sa.get(i).thread() != sb.get(i).thread() || !sa.get(i).what().equals(sb.get(i).what())) {
                return "step " + (i + 1) + ": " + a.program().variant.name() + " has " + sa.get(i).threadName() + " " + sa.get(i).what()
                        + "\n            " + b.program().variant.name() + " has " + sb.get(i).threadName() + " " + sb.get(i).what()
                        + (sb.get(i).frames() == null || sb.get(i).frames().length == 0 ? "" : " (in " + sb.get(i).frames()[sb.get(i).frames().length - 1] + ")");
            }
        }
        if (tb.error() != null) {
            return "step " + (n + 1) + ": on " + b.program().variant.name() + " " + tb.error();
        }
        String end = tb.violation() == null ? "no violation" : tb.violation().toString();
        return "the same " + n + " steps; on " + b.program().variant.name() + " they end in " + end;
    }

    static TraceView view(Outcomes o, Schedule s) {
        return Traces.view(o.program(), Traces.replay(o.program(), s), null);
    }

    static String summary(Outcomes o) {
        Result r = o.result();
        String v = o.violations().isEmpty() ? "no violation" : "violations " + String.join(", ", o.violations().keySet());
        return String.format("%d final states, %s (%s; %,d executions, %,d states)", o.finals().size(), v,
                r.verdict() == dev.mmcheck.engine.Verdict.INCOMPLETE ? "INCOMPLETE: stopped by a budget" : "every interleaving explored",
                r.stats().executions(), r.stats().states());
    }

    static String indent(String s, String pad) {
        return pad + s.replace("\n", "\n" + pad);
    }
}
