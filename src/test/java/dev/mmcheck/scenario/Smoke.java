package dev.mmcheck.scenario;

import dev.mmcheck.engine.*;

public class Smoke {
    public static void main(String[] a) {
        for (String n : new String[]{"s003-mremap-pmd", "s003-mremap-pud"}) {
            Scenario s = Catalog.builtin(n);
            for (Scenario.Variant v : s.variants()) {
                ScenarioProgram sp = ScenarioProgram.build(s, v.name());
                Result r = new Explorer(sp.program, Options.exhaustive()).run();
                System.out.println(n + " " + v.name() + " " + r.verdict() + " " + (r.found() == null ? "" : r.found().violation()) + " " + r.stats());
                if (r.found() != null) {
                    Found f = Minimizer.minimize(sp.program, r.found(), 10);
                    Tracer.Trace t = Tracer.replay(ScenarioProgram.build(s, v.name()).program, f.schedule(), ScenarioProgram.FRAMES);
                    for (Tracer.Step st : t.steps()) System.out.println("  " + st.threadName() + ": " + String.join(">", st.frames()) + " | " + st.what() + (st.preemption() ? " [preempt]" : ""));
                    System.out.println("  => " + t.violation() + " preemptions=" + t.preemptions());
                }
            }
        }
    }
}
