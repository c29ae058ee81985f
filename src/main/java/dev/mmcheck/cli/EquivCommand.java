package dev.mmcheck.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "equiv", description = "Are two variants observationally equivalent: the same final states (page flags,"
        + " LRU placement, mappings, locks held) and violations over every interleaving? Exit 0 yes, 1 no (with a trace).")
final class EquivCommand implements Callable<Integer> {
    @Mixin
    HelpOption helpOption;

    @Spec
    CommandSpec spec;

    @Mixin
    CompareArgs args;

    @Override
    public Integer call() {
        return DiffCommand.run(spec, args, true);
    }
}
