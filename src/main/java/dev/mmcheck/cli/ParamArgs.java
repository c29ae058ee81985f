package dev.mmcheck.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** The repeated {@code --param NAME=VALUE} flags; a name given twice is refused, not silently overridden. */
final class ParamArgs {
    @Option(names = {"--param", "-p"}, paramLabel = "NAME=VALUE",
            description = "Set a scale parameter of the scenario (repeatable; 'mmcheck list' shows them).")
    List<String> given = new ArrayList<>();

    boolean isEmpty() {
        return given.isEmpty();
    }

    Map<String, String> map() {
        Map<String, String> params = new LinkedHashMap<>();
        for (String a : given) {
            int eq = a.indexOf('=');
            if (eq < 1) {
                throw new UsageError("--param " + a + ": expected NAME=VALUE");
            }
            String name = a.substring(0, eq);
            String old = params.put(name, a.substring(eq + 1));
            if (old != null) {
                throw new UsageError("--param " + name + " is given twice (" + name + "=" + old + " and " + a + ")");
            }
        }
        return params;
    }
}
