package dev.mmcheck.cli;

import picocli.CommandLine.Option;

/** -h/--help for every subcommand (the standard mixin would also claim -V, which check uses for --variant). */
final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;
}
