package dev.mmcheck.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "equiv", description = "Are two variants observationally equivalent: the same final states (page flags,"
        + " LRU placement, mappings, locks held) and violations over every interleaving? Exit 0 yes, 1 no (with a trace).")
final class EquivCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SCENARIO")
    String scenario;

    @Parameters(index = "1", paramLabel = "VARIANT_A")
    String a;

    @Parameters(index = "2", paramLabel = "VARIANT_B")
    String b;

    @Option(names = {"--param", "-p"}, paramLabel = "NAME=VALUE", description = "Set a scale parameter (repeatable).")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--max-preemptions", paramLabel = "N", description = "Compare only executions with at most N preemptions.")
    Integer maxPreemptions;

    @Option(names = "--max-seconds", paramLabel = "S", description = "Budget for each variant's exploration.")
    Double maxSeconds;

    @Override
    public Integer call() {
        return DiffCommand.run(spec, scenario, a, b, params, maxPreemptions, maxSeconds, true);
    }
}
