package dev.mmcheck.scenario;

import dev.mmcheck.engine.ModelError;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.SetupError;
import dev.mmcheck.mm.types.AddressSpace;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.Pgtable;
import java.util.Map;

/**
 * Runs a scenario's timeline (its process sections, in file order) on a kernel in set-up mode: the
 * steps apply at once, one system call after another. This is both how a race's initial state is
 * built and the model side of {@code mmcheck conform}; a {@link Listener} sees each outcome and
 * each observation point.
 */
public final class Timeline {
    private Timeline() {}

    /** The kernel being run and its named objects. */
    public record Run(Kernel kernel, Map<String, AddressSpace> files, Map<String, MmStruct> mms) {}

    /** Sees the timeline as it runs. */
    public interface Listener {
        /** {@code call} (the {@code index}-th step of the timeline) returned {@code outcome}. */
        void called(Run run, int index, Scenario.Call call, Outcome outcome);

        /** The timeline reached observation point {@code o}. */
        void observed(Run run, int index, Scenario.Observe o);
    }

    /**
     * For a race's set-up: every command must succeed, or give the outcome written after it
     * ({@code => EINVAL}); anything else is a {@link ScenarioError} at the command.
     */
    public static final Listener STRICT = new Listener() {
        @Override
        public void called(Run run, int index, Scenario.Call call, Outcome outcome) {
            Scenario.Expect e = call.expect();
            if (e != null ? !e.matches(outcome) : outcome.failed()) {
                throw new ScenarioError(call.pos(), "set-up failed: " + Syscalls.name(call.command()) + " gave " + outcome
                        + (e != null ? ", expected " + e.text() : ""));
            }
        }

        @Override
        public void observed(Run run, int index, Scenario.Observe o) {}
    };

    /** Runs every step; a step the model cannot carry out is a {@link ScenarioError} at it. */
    static void run(Scenario s, Run run, Listener listener) {
        Kernel k = run.kernel();
        for (int i = 0; i < s.timeline().size(); i++) {
            Scenario.Step step = s.timeline().get(i);
            if (step instanceof Scenario.Observe o) {
                listener.observed(run, i, o);
                continue;
            }
            Scenario.Call call = (Scenario.Call) step;
            Command c = call.command();
            MmStruct mm = run.mms().get(call.process());
            k.setCpuMm(k.setupCpu, mm);
            checkFiles(c, run.files());
            Outcome outcome;
            try {
                outcome = Syscalls.run(k, c, resolve(k, c, mm), run.files(), run.mms());
            } catch (SetupError | ModelError e) {
                throw new ScenarioError(c.pos(), "set-up failed: " + e.getMessage());
            }
            listener.called(run, i, call, outcome);
        }
    }

    /** The page a reclaim, age or migrate command names, as mapped when the set-up (so far) is done. */
    static Page resolve(Kernel k, Command c, MmStruct mm) {
        long addr;
        if (c instanceof Command.Reclaim r) {
            addr = r.addr();
        } else if (c instanceof Command.Age a) {
            addr = a.addr();
        } else if (c instanceof Command.Migrate mg) {
            addr = mg.addr();
        } else {
            return null;
        }
        Page page = ScenarioProgram.pageMappedAt(k, mm, addr);
        if (page == null) {
            throw new ScenarioError(c.pos(), "no page is mapped at " + Pgtable.hex(addr) + " at this point of the set-up");
        }
        return page;
    }

    static void checkFiles(Command c, Map<String, AddressSpace> files) {
        String f = c instanceof Command.Mmap m ? m.file() : c instanceof Command.Truncate t ? t.file() : null;
        if (f != null && !files.containsKey(f)) {
            throw new ScenarioError(c.pos(), "unknown file '" + f + "' (declare it with 'file NAME PAGES')");
        }
    }
}
