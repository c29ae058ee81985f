package dev.mmcheck.mm.lockdep;

import dev.mmcheck.engine.FrameNamer;
import dev.mmcheck.engine.Op;
import dev.mmcheck.engine.Steps;
import java.util.HashMap;
import java.util.Map;

/**
 * Names the kernel functions of a {@link Witness}'s acquisitions, lazily: re-runs the witness
 * thread's code on its recorded history (no state is touched: every step is answered from the
 * history) and asks the frame namer where the code is at the acquiring steps. Exploration never
 * pays for this; only a report does.
 */
public final class Chains {
    private final FrameNamer namer;
    private final Map<Witness, String[][]> cache = new HashMap<>();

    public Chains(FrameNamer namer) {
        this.namer = namer;
    }

    /** The kernel functions, outermost first, in which the witness took its lock. */
    public String[] taken(Witness w) {
        if (w.thread() < 0) {
            return w.setupFrames() == null ? new String[0] : w.setupFrames();
        }
        String[][] f = frames(w);
        return f[f.length - 1];
    }

    /** The kernel functions in which the witness had taken {@code h}. */
    public String[] took(Witness w, Held h) {
        if (w.thread() < 0) {
            return h.setupFrames() == null ? new String[0] : h.setupFrames();
        }
        String[][] f = frames(w);
        for (int i = 0; i < w.held().length; i++) {
            if (w.held()[i] == h) {
                return f[i];
            }
        }
        return new String[0];
    }

    public static String chain(String[] frames) {
        return frames.length == 0 ? "(the syscall entry)" : String.join(" > ", frames);
    }

    /** Frames at each held lock's acquiring step, then at the witness's own step (last). */
    private String[][] frames(Witness w) {
        return cache.computeIfAbsent(w, x -> {
            Held[] held = w.held();
            String[][] out = new String[held.length + 1][];
            int[] at = new int[held.length + 1];
            for (int i = 0; i < held.length; i++) {
                at[i] = held[i].step();
            }
            at[held.length] = w.history().length;
            Replay r = new Replay(w.thread(), w.history(), at, out, namer);
            try {
                w.origin().threads().get(w.thread()).body().run(r);
            } catch (Replay.Stop s) {
                // reached the witness's step
            } catch (RuntimeException e) {
                // the code did not re-run as recorded: leave the frames it did not reach empty
            }
            for (int i = 0; i < out.length; i++) {
                if (out[i] == null) {
                    out[i] = new String[0];
                }
            }
            return out;
        });
    }

    private static final class Replay implements Steps {
        static final class Stop extends RuntimeException {
            Stop() {
                super(null, null, false, false);
            }
        }

        private final int self;
        private final long[] history;
        private final int[] at;
        private final String[][] out;
        private final FrameNamer namer;
        private int pos;

        Replay(int self, long[] history, int[] at, String[][] out, FrameNamer namer) {
            this.self = self;
            this.history = history;
            this.at = at;
            this.out = out;
            this.namer = namer;
        }

        @Override
        public long step(Op op) {
            String[] frames = null;
            for (int i = 0; i < at.length; i++) {
                if (at[i] == pos) {
                    if (frames == null) {
                        frames = namer.frames();
                    }
                    out[i] = frames;
                }
            }
            if (pos < history.length) {
                return history[pos++];
            }
            throw new Stop();
        }

        @Override
        public void fail(String kind, String message) {
            throw new Stop();
        }

        @Override
        public int self() {
            return self;
        }
    }
}
