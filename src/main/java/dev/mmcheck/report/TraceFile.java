package dev.mmcheck.report;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A replayable counterexample, saved as JSON:
 *
 * <pre>
 * {
 *   "format": 1,
 *   "scenario": "mremap-vs-reclaim",
 *   "scenarioPath": "scenarios/mremap-vs-reclaim.yaml",
 *   "variant": "base",
 *   "params": { "pages": "2" },
 *   "threads": [ "CPU0 mremap", "CPU1 reclaim", "CPU2 user" ],
 *   "schedule": [ 0, 0, 1, 2, 0, 1 ],
 *   "violationKind": "STALE_TLB",
 *   "violationMessage": "pfn 0 freed while CPU2's TLB still maps 0x40200000 -> pfn 0"
 * }
 * </pre>
 *
 * <p>{@code schedule[i]} is the index in {@code threads} of the thread that took step i+1.
 * Required: format (must be {@value #FORMAT}), scenario, variant, threads (at least one) and
 * schedule (indices in range). May be absent or null: scenarioPath, violationKind,
 * violationMessage (read as null) and params (read as empty; values are strings, numbers and
 * booleans are accepted and kept as their text). Unknown fields are ignored. Params are kept
 * sorted by key.
 */
public record TraceFile(int format, String scenario, String scenarioPath, String variant,
        Map<String, String> params, List<String> threads, int[] schedule,
        String violationKind, String violationMessage) {

    /** The format this version writes and reads. */
    public static final int FORMAT = 1;

    /**
     * @throws IllegalArgumentException if format is not {@value #FORMAT}, there are no threads or
     *     the schedule names a thread that does not exist
     * @throws NullPointerException if scenario, variant, threads or schedule is null, or params
     *     or threads hold a null
     */
    public TraceFile {
        if (format != FORMAT) {
            throw new IllegalArgumentException("trace file format " + format + " is not " + FORMAT);
        }
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(variant, "variant");
        TreeMap<String, String> p = new TreeMap<>();
        if (params != null) {
            params.forEach((k, v) -> p.put(Objects.requireNonNull(k, "param name"),
                    Objects.requireNonNull(v, () -> "param " + k)));
        }
        params = Collections.unmodifiableMap(p);
        threads = List.copyOf(Objects.requireNonNull(threads, "threads"));
        if (threads.isEmpty()) {
            throw new IllegalArgumentException("a trace needs at least one thread");
        }
        schedule = Objects.requireNonNull(schedule, "schedule").clone();
        for (int i = 0; i < schedule.length; i++) {
            if (schedule[i] < 0 || schedule[i] >= threads.size()) {
                throw new IllegalArgumentException("step " + (i + 1) + " names thread " + schedule[i]
                        + ", but there are " + threads.size() + " threads");
            }
        }
    }

    /** A trace file in the current {@link #FORMAT}. */
    public static TraceFile of(String scenario, String scenarioPath, String variant, Map<String, String> params,
            List<String> threads, int[] schedule, String violationKind, String violationMessage) {
        return new TraceFile(FORMAT, scenario, scenarioPath, variant, params, threads, schedule,
                violationKind, violationMessage);
    }

    /** A copy of the schedule. */
    @Override
    public int[] schedule() {
        return schedule.clone();
    }

    /** Number of steps in the schedule. */
    public int steps() {
        return schedule.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TraceFile t
                && format == t.format
                && scenario.equals(t.scenario)
                && Objects.equals(scenarioPath, t.scenarioPath)
                && variant.equals(t.variant)
                && params.equals(t.params)
                && threads.equals(t.threads)
                && Arrays.equals(schedule, t.schedule)
                && Objects.equals(violationKind, t.violationKind)
                && Objects.equals(violationMessage, t.violationMessage);
    }

    @Override
    public int hashCode() {
        return Objects.hash(format, scenario, scenarioPath, variant, params, threads,
                Arrays.hashCode(schedule), violationKind, violationMessage);
    }

    @Override
    public String toString() {
        return "TraceFile[format=" + format + ", scenario=" + scenario + ", scenarioPath=" + scenarioPath
                + ", variant=" + variant + ", params=" + params + ", threads=" + threads
                + ", schedule=" + Arrays.toString(schedule) + ", violationKind=" + violationKind
                + ", violationMessage=" + violationMessage + "]";
    }

    // ---------------------------------------------------------------- writing

    /** The file's JSON tree, fields in the documented order. */
    public ObjectNode toJsonTree() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        o.put("format", format);
        o.put("scenario", scenario);
        o.put("scenarioPath", scenarioPath);
        o.put("variant", variant);
        ObjectNode p = o.putObject("params");
        params.forEach(p::put);
        ArrayNode t = o.putArray("threads");
        threads.forEach(t::add);
        ArrayNode s = o.putArray("schedule");
        for (int c : schedule) {
            s.add(c);
        }
        o.put("violationKind", violationKind);
        o.put("violationMessage", violationMessage);
        return o;
    }

    /** The file's contents: pretty-printed JSON ending in a newline. */
    public String toJson() {
        return JsonReport.toJson(toJsonTree(), true) + "\n";
    }

    /** Writes the file (UTF-8), replacing any file already there. */
    public void write(Path path) throws IOException {
        Files.writeString(path, toJson(), StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads and validates a trace file.
     *
     * @throws TraceFileException naming the file (and line:column where there is one) if the file
     *     is missing or unreadable, not UTF-8, not JSON, or not a valid format-{@value #FORMAT} trace
     */
    public static TraceFile read(Path path) throws TraceFileException {
        if (Files.isDirectory(path)) {
            throw new TraceFileException(path, "is a directory, not a trace file");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new TraceFileException(path, -1, -1, "no such file", e);
        } catch (AccessDeniedException e) {
            throw new TraceFileException(path, -1, -1, "permission denied", e);
        } catch (IOException e) {
            throw new TraceFileException(path, -1, -1, "cannot read: " + e.getMessage(), e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new TraceFileException(path, -1, -1, "not UTF-8 text", e);
        }
        return parse(text, path);
    }

    /**
     * Parses and validates the contents of a trace file; {@code source} names it in errors.
     *
     * @throws TraceFileException as {@link #read}
     */
    public static TraceFile parse(String json, Path source) throws TraceFileException {
        if (json.startsWith("\uFEFF")) {
            json = json.substring(1);
        }
        Map<String, JsonLocation> where = new HashMap<>();
        JsonNode root;
        try (JsonParser p = JsonReport.mapper().createParser(json)) {
            p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            if (p.nextToken() == null) {
                throw new TraceFileException(source, "empty file: expected a JSON object");
            }
            root = readTree(p, "", where);
            if (p.nextToken() != null) {
                throw at(source, p.currentTokenLocation(), "unexpected content after the trace object", null);
            }
        } catch (JsonProcessingException e) {
            throw at(source, e.getLocation(), "malformed JSON: " + cleanJacksonMessage(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new TraceFileException(source, -1, -1, "cannot parse: " + e.getMessage(), e);
        }
        return new Validator(source, root, where).validate();
    }

    /** Builds the tree while recording where each value starts, by JSON pointer. */
    private static JsonNode readTree(JsonParser p, String pointer, Map<String, JsonLocation> where) throws IOException {
        where.put(pointer, p.currentTokenLocation());
        JsonNodeFactory f = JsonNodeFactory.instance;
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT) {
            ObjectNode o = f.objectNode();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                o.set(name, readTree(p, pointer + "/" + name.replace("~", "~0").replace("/", "~1"), where));
            }
            return o;
        }
        if (t == JsonToken.START_ARRAY) {
            ArrayNode a = f.arrayNode();
            int i = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                a.add(readTree(p, pointer + "/" + i++, where));
            }
            return a;
        }
        JsonNode scalar = p.readValueAsTree();
        return scalar == null ? f.nullNode() : scalar;
    }

    /** Jackson appends source descriptions to some messages; they only repeat what the prefix says. */
    private static String cleanJacksonMessage(String m) {
        if (m == null) {
            return "syntax error";
        }
        m = m.replaceAll("\\s*\\(start marker at \\[Source:[^\\]]*\\]\\)", "");
        m = m.replaceAll("\\s*at \\[Source:[^\\]]*\\]", "");
        m = m.replaceAll("\\s+", " ").strip();
        return m;
    }

    private static TraceFileException at(Path file, JsonLocation loc, String problem, Throwable cause) {
        int line = loc == null ? -1 : loc.getLineNr();
        int col = loc == null ? -1 : loc.getColumnNr();
        return new TraceFileException(file, line, col, problem, cause);
    }

    private record Validator(Path file, JsonNode root, Map<String, JsonLocation> where) {

        TraceFile validate() throws TraceFileException {
            if (!root.isObject()) {
                throw fail("", "expected a JSON object, found " + describe(root));
            }
            int format = format();
            String scenario = requiredString("scenario");
            String scenarioPath = optionalString("scenarioPath");
            String variant = requiredString("variant");
            Map<String, String> params = params();
            List<String> threads = threads();
            int[] schedule = schedule(threads.size());
            String kind = optionalString("violationKind");
            String message = optionalString("violationMessage");
            return new TraceFile(format, scenario, scenarioPath, variant, params, threads, schedule, kind, message);
        }

        private int format() throws TraceFileException {
            JsonNode n = required("format");
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw fail("/format", "\"format\" must be an integer, found " + describe(n));
            }
            if (n.intValue() != FORMAT) {
                throw fail("/format", "unsupported format " + n.intValue()
                        + ": this version of mmcheck reads format " + FORMAT);
            }
            return n.intValue();
        }

        private JsonNode required(String field) throws TraceFileException {
            JsonNode n = root.get(field);
            if (n == null) {
                throw new TraceFileException(file, "missing field \"" + field + "\"");
            }
            return n;
        }

        private String requiredString(String field) throws TraceFileException {
            JsonNode n = required(field);
            if (!n.isTextual()) {
                throw fail("/" + field, "\"" + field + "\" must be a string, found " + describe(n));
            }
            return n.textValue();
        }

        private String optionalString(String field) throws TraceFileException {
            JsonNode n = root.get(field);
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isTextual()) {
                throw fail("/" + field, "\"" + field + "\" must be a string or null, found " + describe(n));
            }
            return n.textValue();
        }

        private Map<String, String> params() throws TraceFileException {
            JsonNode n = root.get("params");
            Map<String, String> params = new TreeMap<>();
            if (n == null || n.isNull()) {
                return params;
            }
            if (!n.isObject()) {
                throw fail("/params", "\"params\" must be an object, found " + describe(n));
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                if (!v.isTextual() && !v.isNumber() && !v.isBoolean()) {
                    throw fail("/params/" + e.getKey().replace("~", "~0").replace("/", "~1"),
                            "param \"" + e.getKey() + "\" must be a string, found " + describe(v));
                }
                params.put(e.getKey(), v.asText());
            }
            return params;
        }

        private List<String> threads() throws TraceFileException {
            JsonNode n = required("threads");
            if (!n.isArray()) {
                throw fail("/threads", "\"threads\" must be an array of thread names, found " + describe(n));
            }
            if (n.isEmpty()) {
                throw fail("/threads", "\"threads\" is empty: a trace needs at least one thread");
            }
            List<String> threads = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                JsonNode t = n.get(i);
                if (!t.isTextual()) {
                    throw fail("/threads/" + i, "\"threads\"[" + i + "] must be a string, found " + describe(t));
                }
                threads.add(t.textValue());
            }
            return threads;
        }

        private int[] schedule(int threads) throws TraceFileException {
            JsonNode n = required("schedule");
            if (!n.isArray()) {
                throw fail("/schedule", "\"schedule\" must be an array of thread indices, found " + describe(n));
            }
            int[] s = new int[n.size()];
            for (int i = 0; i < s.length; i++) {
                JsonNode c = n.get(i);
                String ptr = "/schedule/" + i;
                if (!c.isIntegralNumber() || !c.canConvertToInt()) {
                    throw fail(ptr, "\"schedule\"[" + i + "] must be a thread index, found " + describe(c));
                }
                int t = c.intValue();
                if (t < 0) {
                    throw fail(ptr, "\"schedule\"[" + i + "] is " + t + ": thread indices cannot be negative");
                }
                if (t >= threads) {
                    throw fail(ptr, "\"schedule\"[" + i + "] is " + t + ", but there "
                            + (threads == 1 ? "is only 1 thread" : "are only " + threads + " threads")
                            + " (indices start at 0)");
                }
                s[i] = t;
            }
            return s;
        }

        private TraceFileException fail(String pointer, String problem) {
            return at(file, where.get(pointer), problem, null);
        }

        private static String describe(JsonNode n) {
            if (n.isNull()) {
                return "null";
            }
            if (n.isTextual()) {
                return "a string";
            }
            if (n.isNumber()) {
                return "the number " + n.asText();
            }
            if (n.isBoolean()) {
                return n.asText();
            }
            if (n.isArray()) {
                return "an array";
            }
            if (n.isObject()) {
                return "an object";
            }
            return n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
