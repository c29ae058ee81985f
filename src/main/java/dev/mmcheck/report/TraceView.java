package dev.mmcheck.report;

import java.util.List;
import java.util.Objects;

/**
 * A counterexample as a reader sees it: which CPU did what, in which kernel function, in order.
 * Plain data, independent of the exploration engine and of the mm model; {@link ColumnDiagram}
 * and {@link JsonReport} render it.
 *
 * @param scenario the scenario's name (may be null)
 * @param variant the scenario variant, e.g. the set of patches applied (may be null)
 * @param columns one name per CPU, e.g. "CPU0 mremap", "CPU1 reclaim", "CPU2 user"
 * @param rows the atomic steps in execution order
 * @param violationKind the stable violation code, e.g. "STALE_TLB"; null when nothing was violated
 * @param violationMessage what went wrong and where; null when nothing was violated
 * @param preemptions how many steps preempted a CPU that could have continued
 * @param replayCommand the command line that replays this trace (may be null)
 */
public record TraceView(String scenario, String variant, List<String> columns, List<Row> rows,
        String violationKind, String violationMessage, int preemptions, String replayCommand) {

    /**
     * One atomic step.
     *
     * @param column index into {@link TraceView#columns()} of the CPU that took the step
     * @param text what the step did, e.g. "down_write(mm0.mmap_lock)"
     * @param frames the kernel functions the step was taken in, outermost first
     *     (e.g. ["sys_mremap", "mremap_to", "move_vma"]); null is taken as no frames
     * @param preemption true when the step preempted another CPU that could have continued
     */
    public record Row(int column, String text, List<String> frames, boolean preemption) {
        public Row {
            text = text == null ? "" : text;
            frames = frames == null ? List.of() : List.copyOf(frames);
        }
    }

    /**
     * @throws NullPointerException if columns or rows (or an element of them) is null
     * @throws IllegalArgumentException if a row names a column that does not exist
     */
    public TraceView {
        columns = List.copyOf(Objects.requireNonNull(columns, "columns"));
        rows = List.copyOf(Objects.requireNonNull(rows, "rows"));
        for (int i = 0; i < rows.size(); i++) {
            int c = rows.get(i).column();
            if (c < 0 || c >= columns.size()) {
                throw new IllegalArgumentException("step " + (i + 1) + " is in column " + c
                        + ", but there are " + columns.size() + " columns");
            }
        }
    }

    /** Whether the trace ends in a violation. */
    public boolean hasViolation() {
        return violationKind != null || violationMessage != null;
    }

    /** "KIND: message", "KIND", "message", or null when there is no violation. */
    public String violationLine() {
        if (violationKind != null && violationMessage != null) {
            return violationKind + ": " + violationMessage;
        }
        return violationKind != null ? violationKind : violationMessage;
    }
}
