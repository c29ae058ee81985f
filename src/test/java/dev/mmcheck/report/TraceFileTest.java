package dev.mmcheck.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceFileTest {

    @TempDir
    Path dir;

    static TraceFile sample() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("pages", "2");
        params.put("config", "split-pmd-ptlocks");
        return TraceFile.of("s003-move-pmd-vs-reclaim", "scenarios/s003.mmc", "base", params,
                List.of("CPU0 mremap", "CPU1 reclaim", "CPU2 user"), new int[] {0, 0, 0, 1, 1, 0, 2, 0, 1},
                "STALE_TLB", "pfn 0 freed while CPU2's TLB still maps 0x40200000 -> pfn 0");
    }

    /** A valid file's text, one field per line, so tests can break one line. */
    static final String VALID = """
            {
              "format": 1,
              "scenario": "s",
              "scenarioPath": null,
              "variant": "base",
              "params": { "n": "2" },
              "threads": [ "CPU0 a", "CPU1 b" ],
              "schedule": [ 0, 1, 1, 0 ],
              "violationKind": "K",
              "violationMessage": "m"
            }
            """;

    private Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private TraceFileException readFails(Path p) {
        return catchThrowableOfType(TraceFileException.class, () -> TraceFile.read(p));
    }

    private TraceFileException readFails(String content) throws IOException {
        return readFails(file("trace.json", content));
    }

    @Test
    void roundTrips() throws Exception {
        TraceFile t = sample();
        Path p = dir.resolve("t.json");
        t.write(p);
        TraceFile back = TraceFile.read(p);
        assertThat(back).isEqualTo(t);
        assertThat(back.hashCode()).isEqualTo(t.hashCode());
        assertThat(back.schedule()).containsExactly(0, 0, 0, 1, 1, 0, 2, 0, 1);
        assertThat(back.params().keySet()).containsExactly("config", "pages");
        assertThat(back.format()).isEqualTo(TraceFile.FORMAT).isEqualTo(1);
    }

    @Test
    void roundTripsWithAbsentOptionalFields() throws Exception {
        TraceFile t = TraceFile.of("s", null, "v", null, List.of("T"), new int[0], null, null);
        Path p = dir.resolve("t.json");
        t.write(p);
        assertThat(TraceFile.read(p)).isEqualTo(t);
        assertThat(TraceFile.read(p).params()).isEmpty();
    }

    @Test
    void fileIsPrettyJsonInTheDocumentedFieldOrder() throws Exception {
        Path p = dir.resolve("t.json");
        sample().write(p);
        String text = Files.readString(p);
        assertThat(text).startsWith("{\n  \"format\": 1,\n  \"scenario\": \"s003-move-pmd-vs-reclaim\",\n")
                .contains("\"schedule\": [ 0, 0, 0, 1, 1, 0, 2, 0, 1 ],")
                .endsWith("}\n");
        assertThat(text.indexOf("\"threads\"")).isLessThan(text.indexOf("\"schedule\""));
        assertThat(text.indexOf("\"schedule\"")).isLessThan(text.indexOf("\"violationKind\""));
        assertThat(text).isEqualTo(sample().toJson());
    }

    @Test
    void readsAHandWrittenFile() throws Exception {
        TraceFile t = TraceFile.read(file("trace.json", VALID));
        assertThat(t.scenarioPath()).isNull();
        assertThat(t.threads()).containsExactly("CPU0 a", "CPU1 b");
        assertThat(t.schedule()).containsExactly(0, 1, 1, 0);
        assertThat(t.params()).containsEntry("n", "2");
    }

    @Test
    void unknownFieldsAndScalarParamsAreAccepted() throws Exception {
        TraceFile t = TraceFile.read(file("trace.json", VALID
                .replace("\"params\": { \"n\": \"2\" }", "\"params\": { \"n\": 2, \"b\": true }")
                .replace("\"format\": 1,", "\"format\": 1, \"comment\": \"hand edited\",")));
        assertThat(t.params()).containsEntry("n", "2").containsEntry("b", "true");
    }

    @Test
    void scheduleIsCopiedInAndOut() {
        int[] s = {0, 1};
        TraceFile t = TraceFile.of("s", null, "v", Map.of(), List.of("A", "B"), s, null, null);
        s[0] = 1;
        assertThat(t.schedule()).containsExactly(0, 1);
        t.schedule()[1] = 0;
        assertThat(t.schedule()).containsExactly(0, 1);
    }

    @Test
    void constructorRejectsInvalidTraces() {
        assertThatThrownBy(() -> new TraceFile(2, "s", null, "v", Map.of(), List.of("A"), new int[0], null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TraceFile.of("s", null, "v", Map.of(), List.of("A"), new int[] {-1}, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TraceFile.of("s", null, "v", Map.of(), List.of("A"), new int[] {1}, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TraceFile.of("s", null, "v", Map.of(), List.of(), new int[0], null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TraceFile.of(null, null, "v", Map.of(), List.of("A"), new int[0], null, null))
                .isInstanceOf(NullPointerException.class);
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void missingFile() {
        Path p = dir.resolve("nope.json");
        TraceFileException e = readFails(p);
        assertThat(e).hasMessage(p + ": no such file");
        assertThat(e.file()).isEqualTo(p);
        assertThat(e.line()).isEqualTo(-1);
    }

    @Test
    void directory() {
        assertThat(readFails(dir)).hasMessageStartingWith(dir + ": is a directory");
    }

    @Test
    void syntaxErrorGivesLineAndColumn() throws Exception {
        Path p = file("trace.json", "{\n  \"format\": 1,\n  \"scenario\": ,\n}\n");
        TraceFileException e = readFails(p);
        assertThat(e.getMessage()).startsWith(p + ":3:15: malformed JSON: ");
        assertThat(e.line()).isEqualTo(3);
        assertThat(e.column()).isEqualTo(15);
        assertThat(e.getMessage()).doesNotContain("Source").doesNotContain("\n");
    }

    @Test
    void relativePathIsNamedAsGiven() throws Exception {
        Path p = file("trace.json", "{\n  \"format\": 1,\n  \"scenario\": ,\n}\n");
        Path rel = Path.of("").toAbsolutePath().relativize(p);
        assertThat(readFails(rel)).hasMessageStartingWith(rel + ":3:15: ");
    }

    @Test
    void truncatedFileGivesLineAndColumn() throws Exception {
        Path p = file("trace.json", VALID.substring(0, VALID.indexOf("\"threads\"")));
        TraceFileException e = readFails(p);
        assertThat(e.getMessage()).matches(java.util.regex.Pattern.quote(p.toString()) + ":\\d+:\\d+: malformed JSON: .*");
        assertThat(e.getMessage()).doesNotContain("Source").doesNotContain("\n");
    }

    @Test
    void otherMalformedJson() throws Exception {
        assertThat(readFails("")).hasMessageEndingWith("trace.json: empty file: expected a JSON object");
        assertThat(readFails("[1, 2]\n")).hasMessageEndingWith("trace.json:1:1: expected a JSON object, found an array");
        assertThat(readFails(VALID + "{}\n")).hasMessageContaining("trace.json:12:1: unexpected content after the trace object");
        assertThat(readFails(VALID.replace("\"variant\": \"base\",", "\"variant\": \"base\", \"scenario\": \"t\",")))
                .hasMessageContaining("trace.json:5:")
                .hasMessageContaining("malformed JSON: Duplicate field 'scenario'");
        Path latin1 = dir.resolve("latin1.json");
        Files.write(latin1, VALID.replace("\"s\"", "\"s\u00e9\"").getBytes(StandardCharsets.ISO_8859_1));
        assertThat(readFails(latin1)).hasMessage(latin1 + ": not UTF-8 text");
    }

    @Test
    void byteOrderMarkIsAccepted() throws Exception {
        assertThat(TraceFile.read(file("trace.json", "\uFEFF" + VALID)).scenario()).isEqualTo("s");
    }

    @Test
    void missingFields() throws Exception {
        for (String field : List.of("format", "scenario", "variant", "threads", "schedule")) {
            String text = VALID.lines().filter(l -> !l.contains("\"" + field + "\""))
                    .reduce("", (a, b) -> a + b + "\n");
            Path p = file(field + ".json", text);
            assertThat(readFails(p)).as(field).hasMessage(p + ": missing field \"" + field + "\"");
        }
    }

    @Test
    void optionalFieldsMayBeMissing() throws Exception {
        String text = VALID.lines()
                .filter(l -> !l.contains("\"scenarioPath\"") && !l.contains("\"params\"")
                        && !l.contains("\"violationKind\""))
                .reduce("", (a, b) -> a + b + "\n")
                .replace("\"violationMessage\": \"m\"", "\"violationMessage\": null");
        TraceFile t = TraceFile.read(file("trace.json", text));
        assertThat(t.scenarioPath()).isNull();
        assertThat(t.violationKind()).isNull();
        assertThat(t.violationMessage()).isNull();
        assertThat(t.params()).isEmpty();
    }

    @Test
    void wrongFormatNumber() throws Exception {
        Path p = file("trace.json", VALID.replace("\"format\": 1", "\"format\": 2"));
        TraceFileException e = readFails(p);
        assertThat(e).hasMessage(p + ":2:13: unsupported format 2: this version of mmcheck reads format 1");
        assertThat(readFails(VALID.replace("\"format\": 1", "\"format\": \"1\"")))
                .hasMessageContaining("trace.json:2:13: \"format\" must be an integer, found a string");
    }

    @Test
    void negativeThreadIndex() throws Exception {
        Path p = file("trace.json", VALID.replace("[ 0, 1, 1, 0 ]", "[ 0, 1, -1, 0 ]"));
        TraceFileException e = readFails(p);
        assertThat(e).hasMessage(p + ":8:23: \"schedule\"[2] is -1: thread indices cannot be negative");
    }

    @Test
    void threadIndexOutOfRange() throws Exception {
        assertThat(readFails(VALID.replace("[ 0, 1, 1, 0 ]", "[ 0, 1, 1, 2 ]")))
                .hasMessageEndingWith("trace.json:8:26: \"schedule\"[3] is 2, but there are only 2 threads (indices start at 0)");
    }

    @Test
    void wrongTypes() throws Exception {
        assertThat(readFails(VALID.replace("[ 0, 1, 1, 0 ]", "[ 0, \"1\" ]")))
                .hasMessageEndingWith("trace.json:8:20: \"schedule\"[1] must be a thread index, found a string");
        assertThat(readFails(VALID.replace("[ 0, 1, 1, 0 ]", "[ 0, 1.5 ]")))
                .hasMessageEndingWith("trace.json:8:20: \"schedule\"[1] must be a thread index, found the number 1.5");
        assertThat(readFails(VALID.replace("[ 0, 1, 1, 0 ]", "{}")))
                .hasMessageEndingWith("trace.json:8:15: \"schedule\" must be an array of thread indices, found an object");
        assertThat(readFails(VALID.replace("[ \"CPU0 a\", \"CPU1 b\" ]", "\"CPU0 a\"")))
                .hasMessageEndingWith("trace.json:7:14: \"threads\" must be an array of thread names, found a string");
        assertThat(readFails(VALID.replace("[ \"CPU0 a\", \"CPU1 b\" ]", "[ \"CPU0 a\", 1 ]")))
                .hasMessageEndingWith("trace.json:7:26: \"threads\"[1] must be a string, found the number 1");
        assertThat(readFails(VALID.replace("[ \"CPU0 a\", \"CPU1 b\" ]", "[]")))
                .hasMessageEndingWith("trace.json:7:14: \"threads\" is empty: a trace needs at least one thread");
        assertThat(readFails(VALID.replace("\"scenario\": \"s\"", "\"scenario\": null")))
                .hasMessageEndingWith("trace.json:3:15: \"scenario\" must be a string, found null");
        assertThat(readFails(VALID.replace("\"violationKind\": \"K\"", "\"violationKind\": 3")))
                .hasMessageEndingWith("trace.json:9:20: \"violationKind\" must be a string or null, found the number 3");
        assertThat(readFails(VALID.replace("{ \"n\": \"2\" }", "{ \"n\": [] }")))
                .hasMessageEndingWith("trace.json:6:20: param \"n\" must be a string, found an array");
        assertThat(readFails(VALID.replace("{ \"n\": \"2\" }", "[]")))
                .hasMessageEndingWith("trace.json:6:13: \"params\" must be an object, found an array");
    }

    @Test
    void everyFailureNamesTheFile() throws Exception {
        Path p = file("named.json", "{\"format\":1}");
        TraceFileException e = readFails(p);
        assertThat(e.getMessage()).startsWith(p.toString() + ":");
        assertThat(e.problem()).isEqualTo("missing field \"scenario\"");
    }
}
