package dev.mmcheck.engine;

import java.util.Arrays;

/** Which thread took each step, in order: enough to re-run an execution exactly. */
public record Schedule(int[] choices) {

    public int length() {
        return choices.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Schedule s && Arrays.equals(choices, s.choices);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(choices);
    }

    @Override
    public String toString() {
        return Arrays.toString(choices);
    }
}
