package dev.mmcheck.cli;

import dev.mmcheck.engine.ModelError;
import dev.mmcheck.report.TraceFileException;
import dev.mmcheck.scenario.ScenarioError;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The mmcheck command line. Exit codes: 0 verified, 1 violation, 2 bad input, 3 stopped by a budget. */
@Command(name = "mmcheck", mixinStandardHelpOptions = true, version = "mmcheck 0.1.0",
        description = "Explores how CPUs interleave through Linux mm locking paths and reports the"
                + " interleaving that breaks the kernel, or that none does within the stated bounds.",
        subcommands = {ListCommand.class, CheckCommand.class, LocksCommand.class, ReplayCommand.class, DiffCommand.class, EquivCommand.class, BenchCommand.class, ConformCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:explored everything within the bounds, no violation", "1:violation found",
            "2:bad input (scenario, flag, bound, variant, trace file)", "3:a budget stopped the run first, nothing found"})
public final class Main implements Runnable {
    public static final int VERIFIED = 0;
    public static final int VIOLATION = 1;
    public static final int BAD_INPUT = 2;
    public static final int INCOMPLETE = 3;

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("mmcheck: " + ex.getMessage());
            err.println("Run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for the options.");
            return BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof ScenarioError || ex instanceof TraceFileException || ex instanceof UsageError) {
                err.println("mmcheck: " + ex.getMessage());
                return BAD_INPUT;
            }
            if (ex instanceof ModelError) {
                err.println("mmcheck: the model cannot run this: " + ex.getMessage());
                return BAD_INPUT;
            }
            throw ex;
        });
        return cl.execute(args);
    }
}
