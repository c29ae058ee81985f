package dev.mmcheck.cli;

import dev.mmcheck.scenario.Catalog;
import dev.mmcheck.scenario.Scenario;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "list", description = "Every built-in scenario with its seed, variants and expected verdicts.")
final class ListCommand implements Callable<Integer> {
    @Mixin
    HelpOption helpOption;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (Scenario s : Catalog.all()) {
            out.printf("%s  (seed %s)%n  %s%n", s.name(), s.seed(), s.title());
            for (Scenario.Variant v : s.variants()) {
                Scenario.Expectation e = s.expectation(v.name());
                String expect = e == null ? "" : "  expect " + e.verdict() + (e.kind() == null ? "" : " " + e.kind());
                out.printf("    --variant %-14s %s%s%n", v.name(), v.description(), expect);
            }
            for (Scenario.Param p : s.params()) {
                out.printf("    --param %s=N  %s (default %d, %d..%d)%n", p.name(), p.description(), p.defaultValue(), p.min(), p.max());
            }
            out.println();
        }
        return Main.VERIFIED;
    }
}
