package dev.mmcheck.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The arguments diff and equiv share: a scenario, two of its variants, and the bounds. */
final class CompareArgs {
    @Parameters(index = "0", paramLabel = "SCENARIO", description = "A built-in scenario name or a scenario file.")
    String scenario;

    @Parameters(index = "1", paramLabel = "VARIANT_A")
    String a;

    @Parameters(index = "2", paramLabel = "VARIANT_B")
    String b;

    @Mixin
    ParamArgs params;

    @Option(names = "--max-preemptions", paramLabel = "N", description = "Compare only executions with at most N preemptions.")
    Integer maxPreemptions;

    @Option(names = "--max-seconds", paramLabel = "S", description = "Budget for each variant's exploration.")
    Double maxSeconds;
}
