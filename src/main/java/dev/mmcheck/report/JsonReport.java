package dev.mmcheck.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;

/**
 * JSON for reports: the trace of a counterexample as Jackson trees, and the project's shared
 * {@link ObjectMapper}.
 *
 * <p>Key order is stable: trees built here keep insertion order, and the mapper sorts
 * {@link java.util.Map} entries by key. Pretty output uses two-space indentation, {@code "key": value}
 * and '\n' line ends on every platform; compact output is one line.
 */
public final class JsonReport {
    private static final ObjectMapper MAPPER = createMapper();
    private static final ObjectWriter COMPACT = MAPPER.writer();
    private static final ObjectWriter PRETTY = MAPPER.writer(prettyPrinter());

    private JsonReport() {}

    private static ObjectMapper createMapper() {
        ObjectMapper m = new ObjectMapper();
        m.enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
        m.disable(SerializationFeature.INDENT_OUTPUT);
        // Writing to System.out must not close it.
        m.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        return m;
    }

    private static DefaultPrettyPrinter prettyPrinter() {
        Separators seps = Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER);
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(seps);
        pp.indentObjectsWith(new DefaultIndenter("  ", "\n"));
        return pp;
    }

    /**
     * The shared mapper (Map entries sorted by key, output target not closed after writing).
     * Shared by every caller: use it, do not reconfigure it.
     */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** An immutable writer: pretty (indented, '\n' line ends) or compact (one line). */
    public static ObjectWriter writer(boolean pretty) {
        return pretty ? PRETTY : COMPACT;
    }

    /** The node as JSON text, without a trailing newline. */
    public static String toJson(JsonNode node, boolean pretty) {
        try {
            return writer(pretty).writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // cannot happen for a tree written to a String
        }
    }

    /**
     * The steps of a trace, for the CLI's {@code --json} output under "trace": an array of
     * {@code {"step":1,"cpu":"CPU0 mremap","column":0,"text":"...","frames":["sys_mremap",...],"preemption":false}},
     * steps numbered from 1 in execution order as in {@link ColumnDiagram}, frames outermost first.
     */
    public static ArrayNode traceSteps(TraceView view) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ArrayNode steps = f.arrayNode();
        int n = 0;
        for (TraceView.Row row : view.rows()) {
            ObjectNode s = steps.addObject();
            s.put("step", ++n);
            s.put("cpu", view.columns().get(row.column()));
            s.put("column", row.column());
            s.put("text", row.text());
            ArrayNode frames = s.putArray("frames");
            row.frames().forEach(frames::add);
            s.put("preemption", row.preemption());
        }
        return steps;
    }

    /**
     * The whole view: {@code {"scenario", "variant", "columns": [...], "steps": [...as traceSteps...],
     * "preemptions", "violation": {"kind", "message"} or null, "replay"}}; absent values are null.
     */
    public static ObjectNode traceObject(TraceView view) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("scenario", view.scenario());
        o.put("variant", view.variant());
        ArrayNode cols = o.putArray("columns");
        view.columns().forEach(cols::add);
        o.set("steps", traceSteps(view));
        o.put("preemptions", view.preemptions());
        if (view.hasViolation()) {
            ObjectNode v = o.putObject("violation");
            v.put("kind", view.violationKind());
            v.put("message", view.violationMessage());
        } else {
            o.putNull("violation");
        }
        o.put("replay", view.replayCommand());
        return o;
    }
}
