package dev.mmcheck.cli;

import dev.mmcheck.conform.Conform;
import dev.mmcheck.conform.RandomPrograms;
import dev.mmcheck.scenario.ScenarioParser;
import dev.mmcheck.mm.Generation;
import dev.mmcheck.scenario.Catalog;
import dev.mmcheck.scenario.Scenario;
import dev.mmcheck.scenario.ScenarioError;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "conform",
        description = {"Runs scenarios' sequential steps on the model and on the live kernel (a fresh child process,"
                + " driven through ptrace and java.lang.foreign) and compares them: each step's return value, errno or"
                + " signal, and at each 'observe' every region's pages (present, same page, MLOCKED, UNEVICTABLE,"
                + " anonymous/file/zero), VmLck and the vmas (range, perms, file, Locked:, lo). Regions are small pages:"
                + " the harness switches THP off for the child (PR_SET_THP_DISABLE).",
            "Scenario address 0x10000000 is the live harness's base. The model runs the kernel generation of the"
                + " running kernel (uname -r) unless --kernel says otherwise. Needs root to read /proc/kpageflags and"
                + " PFNs; without them only the scenarios' own expectations (=> and checks under observe) are checked."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:no difference", "1:a difference (or an expectation that does not hold)", "2:a scenario cannot be run"})
final class ConformCommand implements Callable<Integer> {
    @Mixin
    HelpOption helpOption;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "SCENARIO|DIR", description = "scenario files, built-in scenario names, or directories of *.mmc files")
    List<String> paths = new ArrayList<>();

    @Option(names = "--random", paramLabel = "N", description = "also run N random sequential programs (a failing one is saved under mmcheck-conform-failures/)")
    int random;

    @Option(names = "--seed", paramLabel = "S", description = "the random programs' seed (with --random; default 1)")
    Long seed;

    @Option(names = "--setup", description = "for race scenarios: check the set-up (the process sections, observed at the end), without the cpus")
    boolean setup;

    @Option(names = "--kernel", paramLabel = "VERSION",
            description = "the model's kernel generation: a release such as 6.18.2 or 5.15.0-91-generic (the newest modelled"
                    + " generation not newer than it), or a generation (3.13, 3.16, 4.4, 5.12, 5.16, 5.17, 5.19, 6.x);"
                    + " default: the running kernel's")
    String kernel;

    @Option(names = "--model-only", description = "do not run the live kernel; check the scenarios' own expectations only")
    boolean modelOnly;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "2", description = "live runs per scenario, which must agree (default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = {"-v", "--verbose"}, description = "also print what the model and the live kernel did, step by step, for each scenario that fails")
    boolean verbose;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        String release = Conform.runningRelease();
        Generation gen;
        String why;
        if (kernel != null) {
            gen = Generation.ofRelease(kernel);
            if (gen == null) {
                throw new UsageError("--kernel " + kernel + ": not a kernel version (modelled generations: " + Generation.versions() + ")");
            }
            why = "--kernel " + kernel;
        } else {
            gen = Generation.ofRelease(release);
            if (gen == null) {
                throw new UsageError("cannot tell the generation of the running kernel '" + release + "': give --kernel");
            }
            why = "the running kernel " + release + " (uname -r)";
        }
        if (runs < 1) {
            throw new UsageError("--runs must be at least 1");
        }
        if (seed != null && random <= 0) {
            throw new UsageError("--seed needs --random N");
        }
        long seed = this.seed != null ? this.seed : 1;
        if (random < 0) {
            throw new UsageError("--random must be at least 1, got " + random);
        }
        if (paths.isEmpty() && random == 0) {
            throw new UsageError("give scenario files or directories, or --random N");
        }
        List<Path> files = new ArrayList<>();
        for (String p : paths) {
            Path path = Path.of(p);
            if (Files.isDirectory(path)) {
                try (Stream<Path> s = Files.list(path)) {
                    s.filter(f -> f.toString().endsWith(".mmc")).sorted().forEach(files::add);
                } catch (IOException e) {
                    throw new UsageError(p + ": cannot list: " + e.getMessage());
                }
            } else if (Files.isRegularFile(path) || Catalog.names().contains(p)) {
                files.add(path);
            } else {
                throw new UsageError(p + ": no such scenario file or directory");
            }
        }
        boolean live = !modelOnly;
        Optional<String> unavailable = live ? Conform.liveUnavailable() : Optional.empty();
        if (unavailable.isPresent()) {
            live = false;
        }
        out.println("conform: model = kernel generation " + gen.version + ", from " + why);
        if (live) {
            out.println("conform: live = kernel " + release + ", a fresh child process per run (" + runs + " runs each, which must agree),"
                    + " THP off (PR_SET_THP_DISABLE): small pages only");
        } else {
            out.println("conform: live kernel not used: " + unavailable.orElse("--model-only") + "; only the scenarios' expectations are checked");
        }
        int pass = 0;
        int fail = 0;
        int error = 0;
        int modelOnlyPass = 0;
        int capacity = 0;
        List<Object> todo = new ArrayList<>(files);
        for (int i = 0; i < random; i++) {
            todo.add(i);
        }
        for (Object item : todo) {
            Scenario s;
            String f;
            String text = null;
            try {
                if (item instanceof Integer i) {
                    text = RandomPrograms.program(seed, i);
                    f = "random " + seed + "/" + i;
                    s = ScenarioParser.parse("random-" + seed + "-" + i + ".mmc", text);
                } else {
                    f = item.toString();
                    s = Catalog.load(f);
                }
            } catch (ScenarioError e) {
                out.println("ERROR " + item + ": " + e.getMessage());
                error++;
                continue;
            }
            Conform.Options opts = new Conform.Options(gen, live, runs);
            Conform.Report r = setup ? Conform.runSetup(s, opts) : Conform.run(s, opts);
            String counts = " (" + r.steps() + " steps, " + r.observations() + " observations)";
            switch (r.status()) {
                case PASS -> {
                    pass++;
                    out.println("PASS  " + f + counts);
                }
                case MODEL_ONLY -> {
                    modelOnlyPass++;
                    out.println("MODEL " + f + counts + ": expectations hold (not compared with the live kernel)");
                }
                case FAIL -> {
                    fail++;
                    out.println("FAIL  " + f + counts + (text == null ? "" : ", saved as " + save(s.name(), text)));
                    for (String d : r.differences()) {
                        out.println("      " + d);
                    }
                    if (verbose) {
                        out.println(indent("model: " + r.modelRender()));
                        if (r.liveRender() != null) {
                            out.println(indent("live:  " + r.liveRender()));
                        }
                    }
                }
                case ERROR -> {
                    if (text != null && r.error() != null && (r.error().contains("has no room") || r.error().contains("ran out of"))) {
                        capacity++; // a random program beyond the model's pools: not a finding
                        out.println("SKIP  " + f + ": " + r.error());
                        break;
                    }
                    error++;
                    out.println("ERROR " + f + (text == null ? "" : " (saved as " + save(s.name(), text) + ")") + ": " + r.error());
                }
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        out.printf("conform: %d scenarios: %d pass, %d fail, %d error%s%s in %.1f s%n", todo.size(), pass, fail, error,
                modelOnlyPass > 0 ? ", " + modelOnlyPass + " checked on the model only" : "",
                capacity > 0 ? ", " + capacity + " random ones beyond the model's pools" : "", secs);
        out.flush();
        return fail > 0 ? Main.VIOLATION : error > 0 ? Main.BAD_INPUT : Main.VERIFIED;
    }

    private static String save(String name, String text) {
        try {
            Path dir = Path.of("mmcheck-conform-failures");
            Files.createDirectories(dir);
            Path p = dir.resolve(name + ".mmc");
            Files.writeString(p, text);
            return p.toString();
        } catch (IOException e) {
            return "(not saved: " + e.getMessage() + ")";
        }
    }

    private static String indent(String s) {
        return "      " + s.strip().replace("\n", "\n      ");
    }
}
