package dev.mmcheck.scenario;

import dev.mmcheck.mm.Patch;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Patch names as scenario files spell them: the enum constant in kebab case. */
public final class Patches {
    private Patches() {}

    public static String name(Patch p) {
        return p.name().toLowerCase().replace('_', '-');
    }

    public static Patch byName(String n) {
        for (Patch p : Patch.values()) {
            if (name(p).equals(n)) {
                return p;
            }
        }
        return null;
    }

    public static String names() {
        return Arrays.stream(Patch.values()).map(Patches::name).collect(Collectors.joining(", "));
    }
}
