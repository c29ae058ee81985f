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
        List<Cpu> cpus,
        List<Step> timeline) {

    /**
     * A kernel to check against: a generation (null: the scenario's) plus patches ("+name") or
     * minus patches ("-name").
     */
    public record Variant(String name, String kernel, List<String> patches, String description, Pos pos) {}

    /** What checking a variant should give: a verdict and, for a violation, its kind. */
    public record Expectation(String variant, String verdict, String kind, Pos pos) {}

    /** A scale parameter: its default, the value this instance was built with, and what it means. */
    public record Param(String name, long defaultValue, long min, long max, long value, String description) {}

    /** A file (on a filesystem without its own locking games): its name and size in pages. */
    public record File(String name, long pages, Pos pos) {}

    /**
     * A process: an address space, built by its set-up commands (all of them, in file order; the
     * {@link #timeline} interleaves those of several processes). {@code parent} is the process
     * whose {@code fork} created it, or null for one that starts empty.
     */
    public record Process(String name, List<Command> setup, Pos pos, String parent) {}

    /**
     * One item of the sequential part of a scenario, in file order: a command a process runs, or
     * an observation point. The set-up of a race is this timeline; {@code mmcheck conform} runs
     * it on the model and on the live kernel and compares them at each observation.
     */
    public sealed interface Step permits Call, Observe {
        Pos pos();
    }

    /** {@code process} runs {@code command}; {@code expect} (may be null) is the outcome written after it ({@code => EINVAL}). */
    public record Call(String process, Command command, Expect expect) implements Step {
        @Override
        public Pos pos() {
            return command.pos();
        }
    }

    /** An observation point ({@code observe LABEL}), with the model-only checks written under it. */
    public record Observe(String label, List<Check> checks, Pos pos) implements Step {}

    /**
     * The outcome a command must have: a number or address ({@code 0}, {@code 0x10000000}), an
     * errno name ({@code EINVAL}), {@code ok} (any success), or a signal ({@code SIGSEGV},
     * {@code SIGSEGV/SEGV_ACCERR}, {@code SIGBUS}).
     */
    public record Expect(String text, Long value, Pos pos) {
        public boolean matches(Outcome o) {
            if (text.equals("ok")) {
                return !o.failed();
            }
            if (value != null) {
                return !o.failed() && o.value() == value;
            }
            if (text.startsWith("SIG")) {
                if (o.fault() == null) {
                    return false;
                }
                int slash = text.indexOf('/');
                return slash < 0 ? o.fault().signal().equals(text)
                        : (o.fault().signal() + "/" + o.fault().code()).equals(text);
            }
            return text.equals(o.errno());
        }
    }

    /**
     * A model-only expectation at an observation point: {@code pages PROC ADDR CELL...},
     * {@code vmlck PROC SIZE}, {@code vmas PROC START:END:PERMS[:lo] ...} or
     * {@code locked PROC ADDR SIZE} (smaps Locked: of the vma starting at ADDR).
     */
    public record Check(String kind, String process, List<String> args, List<Long> numbers, Pos pos) {}

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
