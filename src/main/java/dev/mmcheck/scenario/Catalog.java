package dev.mmcheck.scenario;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The built-in scenarios (shipped as scenario files) and loading user-written ones. */
public final class Catalog {
    private Catalog() {}

    public static List<String> names() {
        String index = resource("index");
        List<String> names = new ArrayList<>();
        for (String line : index.split("\n")) {
            if (!line.isBlank()) {
                names.add(line.strip());
            }
        }
        return names;
    }

    public static List<Scenario> all() {
        return names().stream().map(Catalog::builtin).toList();
    }

    public static Scenario builtin(String name) {
        return builtin(name, Map.of());
    }

    public static Scenario builtin(String name, Map<String, String> params) {
        return ScenarioParser.parse("builtin:" + name + ".mmc", resource(name + ".mmc"), params);
    }

    public static Scenario load(String nameOrPath) {
        return load(nameOrPath, Map.of());
    }

    /** The file's text; a byte that is not UTF-8 is an error at its line and column. */
    private static String utf8(String file, byte[] bytes) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            throw new ScenarioError(new Pos(file, line, at - lineStart + 1), "not UTF-8 text (byte 0x"
                    + Integer.toHexString(bytes[at] & 0xff) + ")");
        }
        d.flush(out);
        return out.flip().toString();
    }

    /** A built-in name, or the path of a scenario file, with parameter values (--param). */
    public static Scenario load(String nameOrPath, Map<String, String> params) {
        if (names().contains(nameOrPath)) {
            return builtin(nameOrPath, params);
        }
        Path p = Path.of(nameOrPath);
        String text;
        try {
            text = utf8(nameOrPath, Files.readAllBytes(p));
        } catch (NoSuchFileException e) {
            throw new ScenarioError("no built-in scenario or file named '" + nameOrPath + "' (mmcheck list shows the built-in ones)");
        } catch (IOException e) {
            throw new ScenarioError(nameOrPath + ": cannot read: " + e.getMessage());
        }
        return ScenarioParser.parse(nameOrPath, text, params);
    }

    private static String resource(String name) {
        try (InputStream in = Catalog.class.getResourceAsStream("/scenarios/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing built-in resource /scenarios/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
