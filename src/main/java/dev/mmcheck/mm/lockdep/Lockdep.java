package dev.mmcheck.mm.lockdep;

import dev.mmcheck.engine.FrameNamer;
import dev.mmcheck.engine.Memory;
import dev.mmcheck.engine.ThreadSpec;
import dev.mmcheck.mm.KStep;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;
import it.unimi.dsi.fastutil.longs.Long2ObjectLinkedOpenHashMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lock validator of one kernel: like the kernel's lockdep, it sees every lock acquisition of
 * every explored execution and keeps, outside the explored state, the graph of "held A while
 * taking B" over lock classes ({@link #graph}); it fails a thread that waits for a sleeping lock
 * while holding a spinlock (SLEEP_IN_ATOMIC); and it checks the "protected by" rules of
 * {@link Protection} at every step that changes a protected field (PROTECTION).
 *
 * <p>The locks held are tracked per run of a thread's code, like {@link Kernel#held}: when the
 * code reaches a step, what it holds is exactly what it holds whenever that step runs. A
 * dependency is recorded when the acquiring step runs in some execution, never merely because a
 * thread reached it. Nothing here is part of the explored state.
 */
public final class Lockdep {
    private static final Held[] NONE = new Held[0];

    private final Kernel k;
    private FrameNamer setupNamer;
    private List<ThreadSpec> threads = List.of();
    private String source;

    // ---- the running code (rebuilt on every run of a thread's code) ----
    private Held[] held = NONE;
    private long[] history = new long[64];
    private int historyLength;
    private StepContext plain;

    // ---- what every explored execution showed ----
    /** Dependency key (and thread) -> the first acquisition by that thread that showed it, in the order first seen. */
    private final Long2ObjectLinkedOpenHashMap<Witness> edges = new Long2ObjectLinkedOpenHashMap<>();
    private Rule[] rules;
    private final Map<String, ExceptionSeen> exceptions = new LinkedHashMap<>();
    private long checkedWrites;

    /** A known exception to a "protected by" rule, as first seen, and how often it was seen. */
    public static final class ExceptionSeen {
        public final Lockdep origin;
        public final Rule rule;
        public final String name;
        public final int thread;
        public final String step;
        public final String message;
        public long count;

        ExceptionSeen(Lockdep origin, Rule rule, String name, int thread, String step, String message) {
            this.origin = origin;
            this.rule = rule;
            this.name = name;
            this.thread = thread;
            this.step = step;
            this.message = message;
        }

        public String who() {
            return origin.threadName(thread);
        }

        ExceptionSeen plus(long more) {
            ExceptionSeen e = new ExceptionSeen(origin, rule, name, thread, step, message);
            e.count = count + more;
            return e;
        }
    }

    public Lockdep(Kernel k) {
        this.k = k;
    }

    /** The threads of the program this kernel runs: their code is re-run to name a witness's kernel functions. */
    public void setThreads(List<ThreadSpec> threads) {
        this.threads = List.copyOf(threads);
    }

    public List<ThreadSpec> threads() {
        return threads;
    }

    /** What this kernel runs ("s000-truncate-cow [after]"), when graphs of several programs are shown together. */
    public void setSource(String source) {
        this.source = source;
    }

    public String source() {
        return source;
    }

    /** A thread's name ("CPU1 reclaim0"), or "set-up" for -1; after the source if there is one. */
    public String threadName(int thread) {
        String t = thread < 0 ? "set-up" : thread < threads.size() ? threads.get(thread).name() : "CPU" + thread;
        return source == null ? t : source + " " + t;
    }

    /** How set-up acquisitions are named (the threads' are found later by replay). */
    public void setSetupFrames(FrameNamer namer) {
        this.setupNamer = namer;
    }

    // ---- the running code ------------------------------------------------------------------

    /** A run of some code starts (a thread's, or the set-up's): it holds nothing. */
    public void enter() {
        held = NONE;
        historyLength = 0;
        plain = null;
    }

    /** A step of the running thread returned {@code r} (during the replay of its history). */
    public void returned(long r) {
        if (historyLength == history.length) {
            history = Arrays.copyOf(history, history.length * 2);
        }
        history[historyLength++] = r;
    }

    private boolean inSetup() {
        return k.cpu() == k.setupCpu;
    }

    /**
     * The running code reached {@code op}: its next step. Attaches what the step must know when it
     * runs: the locks held now and, for an acquisition, the dependencies not seen yet.
     */
    public void created(KStep op) {
        Acquisition a = op.acquisition();
        if (a == null || held.length == 0) {
            op.attach(plainContext());
            return;
        }
        boolean setup = inSetup();
        int thread = setup ? -1 : k.cpu();
        long[] keys = new long[held.length];
        int n = 0;
        for (Held h : held) {
            long key = key(h.cls(), h.mode(), a) | ((long) (thread + 1) << 56);
            if (!edges.containsKey(key)) {
                keys[n++] = key;
            }
        }
        if (n == 0) {
            op.attach(plainContext());
            return;
        }
        Witness w = new Witness(this, thread, setup ? null : Arrays.copyOf(history, historyLength), held, a,
                setup && setupNamer != null ? setupNamer.frames() : null);
        op.attach(new StepContext(this, held, thread, Arrays.copyOf(keys, n), w));
    }

    private StepContext plainContext() {
        if (plain == null) {
            plain = new StepContext(this, held, inSetup() ? -1 : k.cpu(), null, null);
        }
        return plain;
    }

    /**
     * A blocking acquisition is about to be made: sleeping with a spinlock held is a bug
     * (might_sleep: "BUG: scheduling while atomic"). Ends the thread with SLEEP_IN_ATOMIC.
     */
    public void mightSleep(Acquisition a) {
        if (!a.cls().sleeps || a.trylock()) {
            return;
        }
        for (Held h : held) {
            if (!h.cls().sleeps) {
                k.fail(Kinds.SLEEP_IN_ATOMIC, a.name() + " may sleep, but CPU" + k.cpu() + " holds " + h.how().name()
                        + " (" + h.cls().name + "), a spinlock: BUG: sleeping function called from invalid context");
                return;
            }
        }
    }

    /** The running code took a lock (its step has returned). */
    public void acquired(Acquisition a) {
        boolean setup = inSetup();
        Held h = new Held(a, setup ? -1 : historyLength - 1, setup && setupNamer != null ? setupNamer.frames() : null);
        Held[] n = Arrays.copyOf(held, held.length + 1);
        n[held.length] = h;
        held = n;
        plain = null;
        k.acquired(a.lock());
    }

    /** The running code released a lock (the innermost hold of it). */
    public void released(Object lock) {
        for (int i = held.length - 1; i >= 0; i--) {
            if (held[i].lock() == lock) {
                Held[] n = new Held[held.length - 1];
                System.arraycopy(held, 0, n, 0, i);
                System.arraycopy(held, i + 1, n, i, held.length - i - 1);
                held = n;
                break;
            }
        }
        plain = null;
        k.released(lock);
    }

    /**
     * The locks the running code holds and in which mode, as a number (0 for none). Whether a lock
     * was a trylock's is left out: dependencies from a held lock do not depend on it.
     */
    public long heldKey() {
        long key = 0;
        for (Held h : held) {
            key = key * 31 + 1 + ((long) h.how().slot() << 2) + h.how().mode().ordinal();
        }
        return key;
    }

    /** The locks the running code holds, outermost first. */
    public List<Held> held() {
        return List.of(held);
    }

    // ---- recording ---------------------------------------------------------------------------

    static long key(LockClass from, Mode fromMode, Acquisition to) {
        return ((long) from.id << 32) | ((long) to.cls().id << 16) | (fromMode.ordinal() << 4) | (to.mode().ordinal() << 1)
                | (to.trylock() ? 1 : 0);
    }

    void observe(long[] keys, Witness w) {
        for (long key : keys) {
            if (!edges.containsKey(key)) {
                edges.put(key, w);
            }
        }
    }

    void protect(int slot, Rule rule) {
        if (slot >= rules.length) {
            rules = Arrays.copyOf(rules, Math.max(slot + 1, rules.length * 2));
        }
        rules[slot] = rule;
    }

    private Rule[] rules() {
        if (rules == null) {
            rules = new Rule[k.layout.size()];
            Protection.declare(k, this);
        }
        return rules;
    }

    void checkWrites(StepContext ctx, KStep op, Memory m, int mark, long result) {
        int n = m.changesSince(mark);
        if (n == 0) {
            return;
        }
        Rule[] rs = rules();
        for (int i = 0; i < n; i++) {
            int slot = m.changedSlot(mark, i);
            Rule r = slot < rs.length ? rs[slot] : null;
            if (r == null) {
                continue;
            }
            checkedWrites++;
            Rule.Outcome o = r.judge(m, slot, m.changedFrom(mark, i), ctx.held);
            if (o == null) {
                continue;
            }
            if (o.isViolation()) {
                m.violate(Kinds.PROTECTION, o.message() + " at " + op.describe(result));
                return;
            }
            ExceptionSeen e = exceptions.computeIfAbsent(r.field() + ": " + o.exception(),
                    x -> new ExceptionSeen(this, r, o.exception(), ctx.thread, op.describe(result), o.message()));
            e.count++;
        }
    }

    // ---- results -----------------------------------------------------------------------------

    /** Every dependency seen so far, over every execution explored with this kernel. */
    public LockGraph graph() {
        List<LockGraph.Dependency> deps = new ArrayList<>();
        for (var e : edges.long2ObjectEntrySet()) {
            long key = e.getLongKey();
            Witness w = e.getValue();
            Held from = null;
            for (Held h : w.held()) {
                if (h.cls().id == (int) ((key >>> 32) & 0xffff) && h.mode().ordinal() == (int) ((key >>> 4) & 3)) {
                    from = h;
                    break;
                }
            }
            deps.add(new LockGraph.Dependency(from.cls(), from.mode(), w.taken().cls(), w.taken().mode(), w.taken().trylock(), from, w));
        }
        return new LockGraph(deps, List.copyOf(exceptions.values()), rulesDeclared(), checkedWrites);
    }

    private List<Rule> rulesDeclared() {
        List<Rule> out = new ArrayList<>();
        for (Rule r : rules()) {
            if (r != null && out.stream().noneMatch(x -> x.field().equals(r.field()))) {
                out.add(r);
            }
        }
        return out;
    }
}
