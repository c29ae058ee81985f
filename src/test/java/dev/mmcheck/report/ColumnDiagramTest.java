package dev.mmcheck.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ColumnDiagramTest {

    private static final Pattern STEP_LINE = Pattern.compile("^ *(\\d+)([ >])\\|");

    /** The rendering, split into lines, with helpers to find where each CPU's column is. */
    private record Drawing(String text, List<String> lines, int[] bars) {
        static Drawing of(String text) {
            List<String> lines = text.lines().toList();
            String rule = lines.stream().filter(l -> l.startsWith("---")).findFirst().orElseThrow();
            List<Integer> bars = new ArrayList<>();
            for (int i = 0; i < rule.length(); i++) {
                if (rule.charAt(i) == '+') {
                    bars.add(i);
                }
            }
            return new Drawing(text, lines, bars.stream().mapToInt(Integer::intValue).toArray());
        }

        /** First character position of column c's text area. */
        int start(int c) {
            return bars[c] + 2;
        }

        /** The column a character position falls in. */
        int columnAt(int pos) {
            int c = -1;
            for (int i = 0; i < bars.length; i++) {
                if (pos > bars[i]) {
                    c = i;
                }
            }
            return c;
        }

        /** The line that carries step number n. */
        String stepLine(int n) {
            for (String l : lines) {
                Matcher m = STEP_LINE.matcher(l);
                if (m.find() && Integer.parseInt(m.group(1)) == n) {
                    return l;
                }
            }
            throw new AssertionError("no line for step " + n + " in\n" + text);
        }

        /** Lines of the body (between the two rules) whose non-blank content starts with s. */
        List<String> bodyLinesStartingWith(String s) {
            int first = -1;
            int last = -1;
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).startsWith("---")) {
                    if (first < 0) {
                        first = i;
                    } else {
                        last = i;
                    }
                }
            }
            List<String> out = new ArrayList<>();
            for (String l : lines.subList(first + 1, last)) {
                for (int c = 0; c < bars.length; c++) {
                    if (l.length() > start(c) && cell(l, c).strip().startsWith(s)) {
                        out.add(l);
                    }
                }
            }
            return out;
        }

        String cell(String line, int c) {
            int from = Math.min(line.length(), bars[c] + 1);
            int to = c + 1 < bars.length ? Math.min(line.length(), bars[c + 1]) : line.length();
            return line.substring(from, to);
        }
    }

    @Test
    void everyStepIsInItsCpusColumnAtItsDepth() {
        TraceView v = Samples.seed003();
        Drawing d = Drawing.of(ColumnDiagram.render(v));
        assertThat(d.bars()).hasSize(3);
        int n = 0;
        for (TraceView.Row row : v.rows()) {
            n++;
            String line = d.stepLine(n);
            String firstWord = row.text().split(" ")[0];
            int pos = line.indexOf(firstWord, d.bars()[0]);
            assertThat(pos).as("step %d text in\n%s", n, line).isPositive();
            assertThat(d.columnAt(pos)).as("column of step %d", n).isEqualTo(row.column());
            // Steps sit one nesting level (two spaces at this width) below their innermost function.
            assertThat(pos).as("indent of step %d", n).isEqualTo(d.start(row.column()) + 2 * row.frames().size());
            for (int c = 0; c < 3; c++) {
                if (c != row.column()) {
                    assertThat(d.cell(line, c)).as("other column %d on step %d", c, n).isBlank();
                }
            }
        }
    }

    @Test
    void headerNamesTheCpusAboveTheirColumns() {
        TraceView v = Samples.seed003();
        Drawing d = Drawing.of(ColumnDiagram.render(v));
        String header = d.lines().stream().filter(l -> l.contains("CPU0 mremap")).findFirst().orElseThrow();
        for (int c = 0; c < 3; c++) {
            assertThat(header.indexOf(v.columns().get(c))).isEqualTo(d.start(c));
        }
        assertThat(d.lines().get(0)).isEqualTo("Scenario: s003-move-pmd-vs-reclaim   Variant: base");
    }

    @Test
    void stepsAreNumberedInExecutionOrder() {
        Drawing d = Drawing.of(ColumnDiagram.render(Samples.seed003()));
        List<Integer> numbers = new ArrayList<>();
        for (String l : d.lines()) {
            Matcher m = STEP_LINE.matcher(l);
            if (m.find()) {
                numbers.add(Integer.parseInt(m.group(1)));
            }
        }
        assertThat(numbers).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
    }

    @Test
    void functionsArePrintedWhenEnteredNotAtEveryStep() {
        Drawing d = Drawing.of(ColumnDiagram.render(Samples.seed003()));
        // CPU0 takes steps 3, 4, 5, 9 and 11 in move_normal_pmd; CPU1 and CPU2 run in between.
        assertThat(d.bodyLinesStartingWith("move_normal_pmd")).hasSize(1);
        assertThat(d.bodyLinesStartingWith("move_pgt_entry")).hasSize(1);
        assertThat(d.bodyLinesStartingWith("mremap_to")).hasSize(1);
        assertThat(d.bodyLinesStartingWith("page_vma_mapped_walk")).hasSize(1);
        assertThat(d.bodyLinesStartingWith("user_write")).hasSize(1);
        // Returning to an outer function names it once more: sys_mremap before step 12,
        // try_to_unmap_one before step 13, shrink_page_list before step 14.
        assertThat(d.bodyLinesStartingWith("sys_mremap")).hasSize(2);
        assertThat(d.bodyLinesStartingWith("try_to_unmap_one")).hasSize(2);
        assertThat(d.bodyLinesStartingWith("shrink_page_list")).hasSize(2);
        // Function names carry no step number and are indented by their depth in the stack.
        String moveVma = d.bodyLinesStartingWith("move_vma").get(0);
        assertThat(STEP_LINE.matcher(moveVma).find()).isFalse();
        assertThat(moveVma.indexOf("move_vma")).isEqualTo(d.start(0) + 2 * 2);
        String pvmw = d.bodyLinesStartingWith("page_vma_mapped_walk").get(0);
        assertThat(pvmw.indexOf("page_vma_mapped_walk")).isEqualTo(d.start(1) + 2 * 4);
    }

    @Test
    void functionHeadersComeRightBeforeTheStepThatEnteredThem() {
        List<String> lines = ColumnDiagram.render(Samples.seed003()).lines().toList();
        int pmd = indexOfContaining(lines, "move_normal_pmd");
        assertThat(lines.get(pmd - 1)).contains("move_pgt_entry");
        assertThat(lines.get(pmd + 1)).contains("pmd_lock(old_pmd)").startsWith(" 3 |");
        int user = indexOfContaining(lines, "user_write");
        assertThat(lines.get(user + 1)).startsWith("10>|").contains("write 0x40200000 -> pfn 0");
    }

    private static int indexOfContaining(List<String> lines, String s) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(s)) {
                return i;
            }
        }
        throw new AssertionError(s);
    }

    @Test
    void preemptionsAreMarked() {
        TraceView v = Samples.seed003();
        String text = ColumnDiagram.render(v);
        Drawing d = Drawing.of(text);
        int n = 0;
        for (TraceView.Row row : v.rows()) {
            n++;
            Matcher m = STEP_LINE.matcher(d.stepLine(n));
            assertThat(m.find()).isTrue();
            assertThat(m.group(2)).as("mark on step %d", n).isEqualTo(row.preemption() ? ">" : " ");
        }
        assertThat(text).contains("Preemptions: 4 (marked '>' after the step number)");
    }

    @Test
    void endsWithTheViolationAndTheReplayCommand() {
        List<String> lines = ColumnDiagram.render(Samples.seed003()).lines().toList();
        int n = lines.size();
        assertThat(lines.get(n - 4)).startsWith("---+");
        assertThat(lines.get(n - 3)).isEqualTo("STALE_TLB: pfn 0 freed while CPU2's TLB still maps 0x40200000 -> pfn 0");
        assertThat(lines.get(n - 2)).startsWith("Preemptions: 4");
        assertThat(lines.get(n - 1)).isEqualTo("Replay: mmcheck replay mmcheck-trace-s003.json");
    }

    @Test
    void noViolationAndNoReplayCommand() {
        TraceView v = new TraceView(null, null, List.of("CPU0 a", "CPU1 b"),
                List.of(new TraceView.Row(0, "x = 1", List.of(), false), new TraceView.Row(1, "y = 1", null, true)),
                null, null, 1, null);
        String text = ColumnDiagram.render(v);
        assertThat(text).contains("No violation.").doesNotContain("Replay:").doesNotContain("Scenario:");
        assertThat(text.lines().findFirst().orElseThrow()).contains("CPU0 a").contains("CPU1 b");
        assertThat(text).endsWith("\n");
    }

    @Test
    void emptyTraceStillRenders() {
        TraceView v = new TraceView("s", "v", List.of("CPU0 a"), List.of(), "DEADLOCK", "nothing can run", 0, "r");
        assertThat(ColumnDiagram.render(v)).contains("(no steps)").contains("DEADLOCK: nothing can run");
    }

    @Test
    void linesFitTheWidthAndLongTextsWrapInsideTheirColumn() {
        TraceView v = Samples.seed003();
        for (int width : new int[] {150, 100, 80, 60}) {
            String text = ColumnDiagram.render(v, width);
            Drawing d = Drawing.of(text);
            for (String l : d.lines()) {
                assertThat(l.length()).as("width %d: %s", width, l).isLessThanOrEqualTo(width);
                assertThat(l).doesNotEndWith(" ");
            }
            // Every body line keeps the column bars where the rule has them.
            for (String l : d.lines()) {
                if (l.startsWith("---") || !l.contains("|")) {
                    continue;
                }
                for (int c = 0; c < 3; c++) {
                    if (d.bars()[c] < l.length()) {
                        assertThat(l.charAt(d.bars()[c])).as("width %d: bar %d in %s", width, c, l).isEqualTo('|');
                    }
                }
            }
        }
        // At 80 columns, step 13's text is wrapped over several lines of CPU1's column, and nothing is lost.
        Drawing d = Drawing.of(ColumnDiagram.render(v, 80));
        String first = d.stepLine(13);
        int i = d.lines().indexOf(first);
        StringBuilder joined = new StringBuilder(d.cell(first, 1).strip());
        for (int k = i + 1; k < d.lines().size() && !STEP_LINE.matcher(d.lines().get(k)).find(); k++) {
            String l = d.lines().get(k);
            if (d.cell(l, 1).isBlank() || d.cell(l, 1).strip().equals("shrink_page_list")) {
                break;
            }
            assertThat(d.cell(l, 0)).isBlank();
            assertThat(d.cell(l, 2)).isBlank();
            joined.append(' ').append(d.cell(l, 1).strip());
        }
        assertThat(k(joined)).isEqualTo(k(new StringBuilder(v.rows().get(12).text())));
    }

    private static String k(CharSequence s) {
        return s.toString().replace(" ", "");
    }

    @Test
    void wrapBreaksAtSpacesThenPunctuationThenInsideWords() {
        assertThat(ColumnDiagram.wrap("aaa bbb ccc", 7, 0, 2)).containsExactly("aaa bbb", "  ccc");
        assertThat(ColumnDiagram.wrap("pmd_lock(old_pmd)", 12, 0, 0)).containsExactly("pmd_lock(", "old_pmd)");
        assertThat(ColumnDiagram.wrap("page_vma_mapped_walk", 18, 0, 0)).containsExactly("page_vma_mapped_", "walk");
        assertThat(ColumnDiagram.wrap("abcdefghij", 4, 0, 0)).containsExactly("abcd", "efgh", "ij");
        assertThat(ColumnDiagram.wrap("one\ntwo", 20, 2, 2)).containsExactly("  one", "    two");
        assertThat(ColumnDiagram.wrap("", 5, 0, 2)).containsExactly("");
    }

    @Test
    void manyCpusInANarrowWidthGetTheMinimumColumnWidth() {
        List<String> cols = new ArrayList<>();
        List<TraceView.Row> rows = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            cols.add("CPU" + c + " worker");
            rows.add(new TraceView.Row(c, "step of cpu " + c, List.of("f" + c), c % 2 == 1));
        }
        TraceView v = new TraceView("s", "v", cols, rows, null, null, 4, null);
        Drawing d = Drawing.of(ColumnDiagram.render(v, 60));
        assertThat(ColumnDiagram.columnWidth(60, 8, 8)).isEqualTo(ColumnDiagram.MIN_COLUMN_WIDTH);
        for (int c = 0; c < 8; c++) {
            String line = d.stepLine(c + 1);
            int pos = line.indexOf("step");
            assertThat(d.columnAt(pos)).isEqualTo(c);
        }
    }

    @Test
    void outputIsDeterministicAndAscii() {
        TraceView v = new TraceView("s\u00e9", "v", List.of("CPU0 \u2192", "CPU1\tb"),
                List.of(new TraceView.Row(0, "x \u2192 y \uD83D\uDE00", List.of("f\u00fc"), false),
                        new TraceView.Row(1, "tab\there", List.of(), true)),
                "K", "m\u00b5", 1, "replay");
        String a = ColumnDiagram.render(v);
        assertThat(ColumnDiagram.render(v)).isEqualTo(a);
        assertThat(a.chars().allMatch(ch -> ch == '\n' || (ch >= 0x20 && ch < 0x7f))).as(a).isTrue();
        assertThat(a).contains("x ? y ?").contains("tab here").contains("f?").contains("K: m?");
        assertThat(ColumnDiagram.render(Samples.seed003())).isEqualTo(ColumnDiagram.render(Samples.seed003()));
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> ColumnDiagram.render(Samples.seed003(), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TraceView("s", "v", List.of("CPU0"),
                List.of(new TraceView.Row(1, "x", List.of(), false)), null, null, 0, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("step 1");
    }
}
