package dev.mmcheck.conform;

import dev.mmcheck.live.LiveException;
import dev.mmcheck.live.LiveResult;
import dev.mmcheck.live.LiveRunner;
import dev.mmcheck.mm.Generation;
import dev.mmcheck.scenario.Scenario;
import dev.mmcheck.scenario.ScenarioError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * {@code mmcheck conform}: a scenario's sequential steps run on the model and on the live kernel,
 * compared at every step (return value, errno, signal) and every observation point (each region's
 * pages, VmLck, the vmas). See {@link Plan} for how a scenario becomes a live program and
 * {@link ModelSide} for what the model's observations are.
 */
public final class Conform {
    private Conform() {}

    /** Scenario address {@code BASE} is the live harness's base address (offset 0). */
    public static final long BASE = 0x10000000L;

    /**
     * How to run: the model's kernel generation, whether to run the live kernel, how many live runs
     * (which must agree: a flapping oracle is a harness error, not a finding).
     */
    public record Options(Generation generation, boolean live, int runs) {}

    public enum Status {
        /** The model and the live kernel agree, and the scenario's own expectations hold. */
        PASS,
        /** They differ, or an expectation does not hold. */
        FAIL,
        /** Only the model ran (the live kernel's oracles cannot be read here); its expectations hold. */
        MODEL_ONLY,
        /** The scenario cannot be run (the message says why). */
        ERROR
    }

    /** What conform found for one scenario. */
    public record Report(String source, String name, Status status, List<String> differences, String error, int steps,
            int observations, String liveKernel, String modelRender, String liveRender) {}

    /** The kernel release this machine runs ({@code uname -r}). */
    public static String runningRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version", "");
        }
    }

    /** Why the live side cannot run here, or empty. */
    public static Optional<String> liveUnavailable() {
        return LiveRunner.unavailableReason();
    }

    /** Runs a race scenario's set-up (its timeline, without its cpus), observed at the end. */
    public static Report runSetup(Scenario s, Options o) {
        return run(Plan.setupOf(s), o);
    }

    /** Runs one scenario. */
    public static Report run(Scenario s, Options o) {
        int steps = (int) s.timeline().stream().filter(x -> x instanceof Scenario.Call).count();
        int obs = s.timeline().size() - steps;
        Plan plan;
        ModelSide model;
        try {
            plan = Plan.of(s);
            model = ModelSide.run(plan, o.generation());
        } catch (ScenarioError e) {
            return new Report(s.source(), s.name(), Status.ERROR, List.of(), e.getMessage(), steps, obs, null, null, null);
        }
        List<String> diffs = new ArrayList<>();
        for (String f : model.expectationFailures) {
            diffs.add("expectation: " + f);
        }
        String modelRender = Differ.renderModel(plan, model);
        if (!o.live()) {
            return new Report(s.source(), s.name(), diffs.isEmpty() ? Status.MODEL_ONLY : Status.FAIL, diffs, null, steps, obs, null,
                    modelRender, null);
        }
        LiveResult live;
        try {
            live = LiveRunner.run(plan.program);
            for (int i = 1; i < o.runs(); i++) {
                LiveResult again = LiveRunner.run(plan.program);
                if (!again.equals(live)) {
                    return new Report(s.source(), s.name(), Status.ERROR, diffs,
                            "the live kernel gave different results in two runs (a flapping oracle):\n" + live.render() + "\nthen\n" + again.render(),
                            steps, obs, live.kernelRelease(), modelRender, live.render());
                }
            }
        } catch (LiveException | IllegalArgumentException e) {
            return new Report(s.source(), s.name(), Status.ERROR, diffs, "live run failed: " + e.getMessage(), steps, obs, null, modelRender, null);
        }
        diffs.addAll(Differ.diff(plan, model, live));
        return new Report(s.source(), s.name(), diffs.isEmpty() ? Status.PASS : Status.FAIL, diffs, null, steps, obs,
                live.kernelRelease(), modelRender, live.render());
    }

    /**
     * For tests: run with one rule of the model changed (the patch set of the generation passed
     * through {@code override}); null restores the model.
     */
    public static void overridePatches(UnaryOperator<java.util.Set<dev.mmcheck.mm.Patch>> override) {
        ModelSide.patchOverride = override;
    }
}
