package dev.mmcheck.cli;

import dev.mmcheck.engine.Options;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Shows executions, states and rate on stderr while a long run goes on, when stderr is a terminal. */
final class ProgressBarReporter implements Options.Progress, AutoCloseable {
    private ProgressBar bar;
    private final String task;

    private ProgressBarReporter(String task) {
        this.task = task;
    }

    /** Null when there is no terminal to draw on (pipes, CI, --json). */
    static ProgressBarReporter forTerminal(String task, boolean quiet) {
        if (quiet || System.console() == null) {
            return null;
        }
        return new ProgressBarReporter(task);
    }

    @Override
    public void update(long executions, long states, long transitions, double seconds) {
        if (seconds < 1.0) {
            return; // short runs draw nothing
        }
        draw();
        bar.stepTo(states > 0 ? states : executions);
        bar.setExtraMessage(String.format(" %,d executions, %,d states, %,.0f steps/s", executions, states, transitions / seconds));
    }

    @Override
    public void learning(double seconds) {
        if (seconds < 1.0) {
            return;
        }
        draw();
        bar.setExtraMessage(" learning, before the search");
    }

    private void draw() {
        if (bar == null) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(-1).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err)).hideEta().build();
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
