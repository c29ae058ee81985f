package dev.mmcheck.scenario;

import java.util.List;
import java.util.Map;

/**
 * A scenario as written in a file: how the initial state is built (syscalls per process), what
 * each CPU then runs, which kernel variants it can be checked against, and what each should give.
 */
public record Scenario(
        String name,
        String source,
        String seed,
        String title,
        String kernel,
        List<String> description,
        List<Variant> variants,
        List<Expectation> expectations,
        Map<String, Boolean> config,
        Map<String, Integer> sizes,
        int preemptionBound,
        List<Param> params,
        List<File> files,
        List<Process> processes,
        List<Cpu> cpus) {

    /**
     * A kernel to check against: a generation (null: the scenario's) plus patches ("+name") or
     * minus patches ("-name").
     */
    public record Variant(String name, String kernel, List<String> patches, String description, Pos pos) {}

    /** What checking a variant should give: a verdict and, for a violation, its kind. */
    public record Expectation(String variant, String verdict, String kind, Pos pos) {}

    /** A scale parameter: its default, the value this instance was built with, and what it means. */
    public record Param(String name, long defaultValue, long value, String description) {}

    /** A file (on a filesystem without its own locking games): its name and size in pages. */
    public record File(String name, long pages, Pos pos) {}

    /** A process: an address space, built by its set-up commands. */
    public record Process(String name, List<Command> setup, Pos pos) {}

    /** A CPU running a task of {@code process}. */
    public record Cpu(String name, String process, List<Command> program, Pos pos) {}

    public Variant variant(String name) {
        for (Variant v : variants) {
            if (v.name().equals(name)) {
                return v;
            }
        }
        return null;
    }

    public Expectation expectation(String variant) {
        for (Expectation e : expectations) {
            if (e.variant().equals(variant)) {
                return e;
            }
        }
        return null;
    }
}
