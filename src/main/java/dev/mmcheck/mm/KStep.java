package dev.mmcheck.mm;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.engine.Op;
import dev.mmcheck.mm.lockdep.Acquisition;
import dev.mmcheck.mm.lockdep.Mode;
import dev.mmcheck.mm.lockdep.StepContext;
import java.util.function.LongFunction;

/**
 * A model step: the text a trace shows, an optional guard (a lock that must be free), the effect.
 * A lock step also says what it acquires; lockdep attaches what the thread held when it reached
 * the step, and sees the step run.
 */
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
    private final Acquisition acquisition;
    private StepContext context;

    KStep(String text, Guard guard, Effect effect, LongFunction<String> shown, Acquisition acquisition) {
        this.text = text;
        this.guard = guard;
        this.effect = effect;
        this.shown = shown;
        this.acquisition = acquisition;
    }

    /** The lock this step takes, or null. */
    public Acquisition acquisition() {
        return acquisition;
    }

    /** Set once, when the thread reaches the step (see {@link dev.mmcheck.mm.lockdep.Lockdep#created}). */
    public void attach(StepContext c) {
        this.context = c;
    }

    /** A blocking lock step (spin_lock, down_read, down_write, lock_page) waits for the lock it takes. */
    @Override
    public int guardLock() {
        return guard == null || acquisition == null ? -1 : acquisition.slot();
    }

    @Override
    public boolean guardLockShared() {
        return acquisition != null && acquisition.mode() == Mode.READ;
    }

    @Override
    public boolean enabled(Memory m) {
        return guard == null || guard.ok(m);
    }

    @Override
    public long run(Memory m) {
        if (context == null) {
            return effect.run(m);
        }
        int mark = m.changeMark();
        long r = effect.run(m);
        context.ran(this, m, mark, r);
        return r;
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
