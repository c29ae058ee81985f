package dev.mmcheck.scenario;

import java.io.IOException;
import java.io.InputStream;
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

    /** A built-in name, or the path of a scenario file, with parameter values (--param). */
    public static Scenario load(String nameOrPath, Map<String, String> params) {
        if (names().contains(nameOrPath)) {
            return builtin(nameOrPath, params);
        }
        Path p = Path.of(nameOrPath);
        String text;
        try {
            text = Files.readString(p);
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
