package dev.mmcheck.mm;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.engine.Op;
import java.util.function.LongFunction;

/** A model step: the text a trace shows, an optional guard (a lock that must be free), the effect. */
public final class KStep implements Op {
    public interface Effect {
        long run(Memory m);
    }

    public interface Guard {
        boolean ok(Memory m);
    }

    private final String text;
    private final Guard guard;
    private final Effect effect;
    private final LongFunction<String> shown;

    KStep(String text, Guard guard, Effect effect, LongFunction<String> shown) {
        this.text = text;
        this.guard = guard;
        this.effect = effect;
        this.shown = shown;
    }

    @Override
    public boolean enabled(Memory m) {
        return guard == null || guard.ok(m);
    }

    @Override
    public long run(Memory m) {
        return effect.run(m);
    }

    @Override
    public String describe(long result) {
        return shown == null ? text : text + " -> " + shown.apply(result);
    }

    @Override
    public String waitsFor() {
        return text;
    }
}
