package dev.mmcheck.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonReportTest {

    @Test
    void traceStepsHaveOneObjectPerStepInOrder() {
        TraceView v = Samples.seed003();
        ArrayNode steps = JsonReport.traceSteps(v);
        assertThat(steps).hasSize(v.rows().size());
        JsonNode s3 = steps.get(2);
        List<String> keys = new ArrayList<>();
        s3.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("step", "cpu", "column", "text", "frames", "preemption");
        assertThat(s3.get("step").intValue()).isEqualTo(3);
        assertThat(s3.get("cpu").textValue()).isEqualTo("CPU0 mremap");
        assertThat(s3.get("column").intValue()).isZero();
        assertThat(s3.get("text").textValue()).isEqualTo("pmd_lock(old_pmd)");
        List<String> frames = new ArrayList<>();
        s3.get("frames").forEach(f -> frames.add(f.textValue()));
        assertThat(frames).containsExactlyElementsOf(Samples.MOVE_PMD);
        assertThat(s3.get("preemption").booleanValue()).isFalse();
        assertThat(steps.get(5).get("preemption").booleanValue()).isTrue();
        assertThat(steps.get(5).get("cpu").textValue()).isEqualTo("CPU1 reclaim");
    }

    @Test
    void compactJsonOfASmallTrace() {
        TraceView v = new TraceView("s", "v", List.of("CPU0 a"),
                List.of(new TraceView.Row(0, "x = 1", List.of("f", "g"), false)), null, null, 0, null);
        assertThat(JsonReport.toJson(JsonReport.traceSteps(v), false)).isEqualTo(
                "[{\"step\":1,\"cpu\":\"CPU0 a\",\"column\":0,\"text\":\"x = 1\",\"frames\":[\"f\",\"g\"],\"preemption\":false}]");
    }

    @Test
    void traceObjectCarriesTheWholeView() {
        ObjectNode o = JsonReport.traceObject(Samples.seed003());
        List<String> keys = new ArrayList<>();
        o.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("scenario", "variant", "columns", "steps", "preemptions", "violation", "replay");
        assertThat(o.get("violation").get("kind").textValue()).isEqualTo("STALE_TLB");
        assertThat(o.get("preemptions").intValue()).isEqualTo(4);
        assertThat(o.get("columns")).hasSize(3);

        TraceView clean = new TraceView(null, null, List.of("CPU0"), List.of(), null, null, 0, null);
        ObjectNode c = JsonReport.traceObject(clean);
        assertThat(c.get("violation").isNull()).isTrue();
        assertThat(c.get("scenario").isNull()).isTrue();
        assertThat(c.get("replay").isNull()).isTrue();
    }

    @Test
    void prettyOutputIsIndentedWithNewlines() {
        ObjectNode o = JsonReport.mapper().createObjectNode();
        o.put("a", 1);
        o.putObject("b").put("c", "d");
        String pretty = JsonReport.toJson(o, true);
        assertThat(pretty).isEqualTo("{\n  \"a\": 1,\n  \"b\": {\n    \"c\": \"d\"\n  }\n}");
        assertThat(JsonReport.toJson(o, false)).isEqualTo("{\"a\":1,\"b\":{\"c\":\"d\"}}");
    }

    @Test
    void mapsAreWrittenInKeyOrder() throws Exception {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("zeta", 1);
        m.put("alpha", 2);
        m.put("mid", 3);
        assertThat(JsonReport.writer(false).writeValueAsString(m)).isEqualTo("{\"alpha\":2,\"mid\":3,\"zeta\":1}");
    }

    @Test
    void writingToAStreamDoesNotCloseIt() throws Exception {
        boolean[] closed = {false};
        ByteArrayOutputStream out = new ByteArrayOutputStream() {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        JsonReport.writer(true).writeValue(out, JsonReport.traceSteps(Samples.seed003()));
        assertThat(closed[0]).isFalse();
        assertThat(JsonReport.mapper().readTree(out.toByteArray())).isEqualTo(JsonReport.traceSteps(Samples.seed003()));
    }

    @Test
    void outputIsDeterministic() {
        assertThat(JsonReport.toJson(JsonReport.traceObject(Samples.seed003()), true))
                .isEqualTo(JsonReport.toJson(JsonReport.traceObject(Samples.seed003()), true));
    }
}
