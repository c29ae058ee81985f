package dev.mmcheck.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The repeated {@code --param NAME=VALUE} flags; a name given twice is refused, not silently overridden. */
final class ParamArgs {
    private ParamArgs() {}

    static Map<String, String> parse(List<String> args) {
        Map<String, String> params = new LinkedHashMap<>();
        for (String a : args) {
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
