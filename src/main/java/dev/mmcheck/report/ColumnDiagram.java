package dev.mmcheck.report;

import java.util.ArrayList;
import java.util.List;

/**
 * Draws a {@link TraceView} the way kernel developers draw races in email: one column per CPU,
 * time going down, each step in its CPU's column. Example (width 110):
 *
 * <pre>
 * Scenario: mremap-vs-reclaim   Variant: base
 *    | CPU0 mremap                      | CPU1 reclaim                     | CPU2 user
 * ---+----------------------------------+----------------------------------+----------------------------------
 *    | sys_mremap                       |                                  |
 *    |   move_vma                       |                                  |
 *  1 |     down_write(mm0.mmap_lock)    |                                  |
 *    |                                  | shrink_page_list                 |
 *  2&gt;|                                  |   trylock_page(pfn 0)            |
 * ...
 * ---+----------------------------------+----------------------------------+----------------------------------
 * STALE_TLB: pfn 0 freed while CPU2's TLB still maps 0x40200000 -&gt; pfn 0
 * Preemptions: 1 (marked '&gt;' after the step number)
 * Replay: mmcheck replay trace.json
 * </pre>
 *
 * <p>Kernel function context: before a step, the functions its CPU has entered since its previous
 * step are printed in the CPU's column, indented by nesting depth (index in the step's frames);
 * when a CPU has returned to an outer function, that function's name is printed once more at its
 * depth. Steps are indented one level below their innermost function. Texts too long for a column
 * wrap (at spaces when possible) with a two-space hanging indent, so columns stay aligned.
 *
 * <p>Output is deterministic, plain ASCII (other characters become '?'), lines end in '\n' and
 * carry no trailing spaces; no line is longer than the width unless the width is too small to
 * give each CPU {@value #MIN_COLUMN_WIDTH} characters.
 */
public final class ColumnDiagram {
    /** The default total line width. */
    public static final int DEFAULT_WIDTH = 150;
    /** Columns are never narrower than this, whatever the width. */
    public static final int MIN_COLUMN_WIDTH = 12;
    /** The mark after the step number of a step that preempted another CPU. */
    public static final char PREEMPTION_MARK = '>';

    private ColumnDiagram() {}

    /** Renders at {@link #DEFAULT_WIDTH}. */
    public static String render(TraceView view) {
        return render(view, DEFAULT_WIDTH);
    }

    /**
     * Renders the trace in lines of at most {@code width} characters.
     *
     * @throws IllegalArgumentException if width is not positive
     */
    public static String render(TraceView view, int width) {
        if (width <= 0) {
            throw new IllegalArgumentException("width must be positive: " + width);
        }
        return new Renderer(view, width).render();
    }

    /** The width of each CPU column's text area when {@code cpus} CPUs and {@code steps} steps are drawn at {@code width}. */
    public static int columnWidth(int width, int cpus, int steps) {
        int n = Math.max(1, cpus);
        return Math.max(MIN_COLUMN_WIDTH, (width - gutterWidth(steps)) / n - 3);
    }

    private static int numberWidth(int steps) {
        return Math.max(2, Integer.toString(steps).length());
    }

    private static int gutterWidth(int steps) {
        return numberWidth(steps) + 1;
    }

    private static final class Renderer {
        private final TraceView view;
        private final int width;
        private final int cpus;
        private final int digits;
        private final int gutter;
        private final int cw;
        private final int unit;
        private final StringBuilder out = new StringBuilder();

        Renderer(TraceView view, int width) {
            this.view = view;
            this.width = width;
            this.cpus = Math.max(1, view.columns().size());
            this.digits = numberWidth(view.rows().size());
            this.gutter = gutterWidth(view.rows().size());
            this.cw = columnWidth(width, view.columns().size(), view.rows().size());
            this.unit = cw >= 24 ? 2 : 1;
        }

        String render() {
            title();
            header();
            rule();
            body();
            rule();
            footer();
            return out.toString();
        }

        private void title() {
            StringBuilder t = new StringBuilder();
            if (view.scenario() != null) {
                t.append("Scenario: ").append(view.scenario());
            }
            if (view.variant() != null) {
                if (!t.isEmpty()) {
                    t.append("   ");
                }
                t.append("Variant: ").append(view.variant());
            }
            if (!t.isEmpty()) {
                for (String l : wrap(ascii(t.toString()), width, 0, 2)) {
                    emit(l);
                }
            }
        }

        private void header() {
            List<List<String>> cells = new ArrayList<>();
            int lines = 1;
            for (int c = 0; c < cpus; c++) {
                String name = c < view.columns().size() ? view.columns().get(c) : "";
                List<String> w = wrap(ascii(name), cw, 0, 2);
                cells.add(w);
                lines = Math.max(lines, w.size());
            }
            for (int i = 0; i < lines; i++) {
                String[] row = new String[cpus];
                for (int c = 0; c < cpus; c++) {
                    row[c] = i < cells.get(c).size() ? cells.get(c).get(i) : "";
                }
                emit(gridLine("", row));
            }
        }

        private void rule() {
            StringBuilder b = new StringBuilder("-".repeat(gutter));
            for (int c = 0; c < cpus; c++) {
                b.append('+').append("-".repeat(cw + 2));
            }
            emit(b.toString());
        }

        private void body() {
            if (view.rows().isEmpty()) {
                emit(gridLine("", cell(0, "(no steps)")));
                return;
            }
            List<List<String>> last = new ArrayList<>();
            for (int c = 0; c < cpus; c++) {
                last.add(List.of());
            }
            int step = 0;
            for (TraceView.Row row : view.rows()) {
                step++;
                int c = row.column();
                List<String> frames = row.frames();
                List<String> prev = last.get(c);
                int p = commonPrefix(prev, frames);
                if (p < frames.size()) {
                    for (int d = p; d < frames.size(); d++) {
                        cellLines(c, frames.get(d), indent(d), "");
                    }
                } else if (frames.size() < prev.size() && !frames.isEmpty()) {
                    // Returned to an outer function: name it again so the step is not read as
                    // belonging to the function it left.
                    int d = frames.size() - 1;
                    cellLines(c, frames.get(d), indent(d), "");
                }
                last.set(c, frames);
                String number = pad(Integer.toString(step), digits, true)
                        + (row.preemption() ? PREEMPTION_MARK : ' ');
                cellLines(c, row.text(), indent(frames.size()), number);
            }
        }

        private void footer() {
            String v = view.violationLine();
            for (String l : wrap(ascii(v != null ? v : "No violation."), width, 0, 2)) {
                emit(l);
            }
            String p = "Preemptions: " + view.preemptions();
            if (view.rows().stream().anyMatch(TraceView.Row::preemption)) {
                p += " (marked '" + PREEMPTION_MARK + "' after the step number)";
            }
            emit(p);
            if (view.replayCommand() != null) {
                for (String l : wrap(ascii("Replay: " + view.replayCommand()), width, 0, 2)) {
                    emit(l);
                }
            }
        }

        /** Emits {@code text}, wrapped, in column c; the first line gets {@code firstGutter}. */
        private void cellLines(int c, String text, int indent, String firstGutter) {
            List<String> lines = wrap(ascii(text), cw, indent, 2);
            for (int i = 0; i < lines.size(); i++) {
                emit(gridLine(i == 0 ? firstGutter : "", cell(c, lines.get(i))));
            }
        }

        private int indent(int depth) {
            return Math.min(depth * unit, cw / 2);
        }

        private String[] cell(int c, String content) {
            String[] row = new String[cpus];
            java.util.Arrays.fill(row, "");
            row[c] = content;
            return row;
        }

        private String gridLine(String gutterText, String[] cells) {
            StringBuilder b = new StringBuilder(pad(gutterText, gutter, false));
            for (String s : cells) {
                b.append("| ").append(pad(s, cw, false)).append(' ');
            }
            return b.toString();
        }

        private void emit(String line) {
            int end = line.length();
            while (end > 0 && line.charAt(end - 1) == ' ') {
                end--;
            }
            out.append(line, 0, end).append('\n');
        }
    }

    private static int commonPrefix(List<String> a, List<String> b) {
        int n = Math.min(a.size(), b.size());
        int i = 0;
        while (i < n && a.get(i).equals(b.get(i))) {
            i++;
        }
        return i;
    }

    private static String pad(String s, int w, boolean left) {
        if (s.length() >= w) {
            return s;
        }
        String sp = " ".repeat(w - s.length());
        return left ? sp + s : s + sp;
    }

    /** Printable ASCII only: tabs become spaces, other control and non-ASCII characters '?'; newlines are kept. */
    static String ascii(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\n' || (ch >= 0x20 && ch < 0x7f)) {
                b.append(ch);
            } else if (ch == '\t') {
                b.append(' ');
            } else if (ch == '\r') {
                // dropped: "\r\n" is a newline
            } else {
                if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                }
                b.append('?');
            }
        }
        return b.toString();
    }

    /**
     * Where to end a line of at most {@code room} characters taken from the front of {@code s}
     * (longer than room): at the last space; else after the last '(' ',' ';' or '.'; else after
     * the last '_'; else in the middle of the word.
     */
    private static int breakPoint(String s, int room) {
        int space = s.lastIndexOf(' ', room);
        if (space > 0) {
            return space;
        }
        int punct = -1;
        int underscore = -1;
        for (int i = 0; i < room; i++) {
            char ch = s.charAt(i);
            if (ch == '(' || ch == ',' || ch == ';' || ch == '.') {
                punct = i + 1;
            } else if (ch == '_') {
                underscore = i + 1;
            }
        }
        if (punct > 1) {
            return punct;
        }
        if (underscore > 1) {
            return underscore;
        }
        return room;
    }

    /**
     * Splits {@code text} into lines of at most {@code width} characters: the first line indented by
     * {@code indent}, the following ones by {@code indent + hang}; breaks at spaces when it can, else
     * after punctuation or '_', inside words when it must, and at every '\n'. Indents shrink if they would leave no room.
     */
    static List<String> wrap(String text, int width, int indent, int hang) {
        List<String> lines = new ArrayList<>();
        int first = Math.max(0, Math.min(indent, width - 1));
        int rest = Math.max(0, Math.min(indent + hang, width - 1));
        for (String para : text.split("\n", -1)) {
            String remaining = para.strip();
            do {
                int ind = lines.isEmpty() ? first : rest;
                int room = Math.max(1, width - ind);
                String piece;
                if (remaining.length() <= room) {
                    piece = remaining;
                    remaining = "";
                } else {
                    int cut = breakPoint(remaining, room);
                    piece = remaining.substring(0, cut).stripTrailing();
                    remaining = remaining.substring(cut).stripLeading();
                }
                lines.add(" ".repeat(ind) + piece);
            } while (!remaining.isEmpty());
        }
        return lines;
    }
}
