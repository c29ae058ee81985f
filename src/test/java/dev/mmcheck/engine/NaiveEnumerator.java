package dev.mmcheck.engine;

import dev.mmcheck.engine.RandomProgram.Instr;
import dev.mmcheck.engine.RandomProgram.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reference semantics of a {@link RandomProgram}: a plain recursive walk over every
 * interleaving, interpreting the program text directly (its own state: memory, program counters,
 * registers; no caching, no sleep sets, nothing of {@link Explorer}, {@link Execution} or the
 * resumers).
 *
 * <p>An execution ends when a thread's assertion fails (ASSERT, charged to the step after which
 * it fails; before any step it fails in the initial state), when the step check fails (INVARIANT;
 * checked in the initial state and after every step, after the assertions), when no thread can
 * move while some have not finished (DEADLOCK), or when all have finished: then the final check is
 * made (FINAL) and, if it holds, the memory is a final state.
 *
 * <p>A step preempts when it is taken by another thread than the one that took the previous step
 * while that one could still move.
 */
final class NaiveEnumerator {

    /**
     * @param finals every final state (all slot values, in slot order), with the fewest preemptions
     *     it can be reached with
     * @param kinds every violation kind that can happen, with the least {preemptions, steps} (in
     *     that order) of an execution ending in it
     * @param executions how many maximal executions there are
     */
    record Outcome(Map<List<Long>, Integer> finals, Map<String, int[]> kinds, long executions) {

        Set<List<Long>> finalsWithin(int bound) {
            Set<List<Long>> s = new HashSet<>();
            finals.forEach((state, pre) -> {
                if (pre <= bound) {
                    s.add(state);
                }
            });
            return s;
        }

        Set<String> kindsWithin(int bound) {
            Set<String> s = new HashSet<>();
            kinds.forEach((kind, best) -> {
                if (best[0] <= bound) {
                    s.add(kind);
                }
            });
            return s;
        }
    }

    private final RandomProgram p;
    private final int n;
    private final Map<List<Long>, Integer> finals = new HashMap<>();
    private final Map<String, int[]> kinds = new HashMap<>();
    private long executions;

    private NaiveEnumerator(RandomProgram p) {
        this.p = p;
        this.n = p.threads().size();
    }

    static Outcome enumerate(RandomProgram p) {
        NaiveEnumerator e = new NaiveEnumerator(p);
        e.start();
        return new Outcome(e.finals, e.kinds, e.executions);
    }

    private void start() {
        long[] mem = new long[p.slots()];
        for (int v = 0; v < p.vars(); v++) {
            mem[p.varSlot(v)] = p.init().get(v);
        }
        int[] pc = new int[n];
        long[] regs = new long[n * RandomProgram.REGS];
        if (invariantFails(mem)) {
            violation(RandomProgram.INVARIANT, 0, 0);
            return;
        }
        for (int t = 0; t < n; t++) {
            if (!runAsserts(t, pc, regs)) {
                violation(RandomProgram.ASSERT, 0, 0);
                return;
            }
        }
        dfs(mem, pc, regs, -1, 0, 0);
    }

    /** Runs thread t's code up to its next step (asserts, forgets; calls change nothing); false if an assertion fails on the way. */
    private boolean runAsserts(int t, int[] pc, long[] regs) {
        List<Instr> code = p.threads().get(t);
        while (pc[t] < code.size() && !code.get(pc[t]).isStep()) {
            Instr in = code.get(pc[t]);
            if (in.kind() == Kind.FORGET) {
                java.util.Arrays.fill(regs, t * RandomProgram.REGS, (t + 1) * RandomProgram.REGS, 0);
            } else if (in.kind() == Kind.SKIP && regs[t * RandomProgram.REGS + in.a()] == in.b()
                    && pc[t] + 1 < code.size() && code.get(pc[t] + 1).skippable()) {
                pc[t]++; // and the skipped one below
            } else if (in.kind() == Kind.ASSERT && regs[t * RandomProgram.REGS + in.a()] == in.b()) {
                return false;
            }
            pc[t]++;
        }
        return true;
    }

    private boolean invariantFails(long[] mem) {
        return RandomProgram.all(p.stepCheck(), v -> mem[p.varSlot(v)]);
    }

    private boolean enabled(int t, long[] mem, int[] pc) {
        List<Instr> code = p.threads().get(t);
        if (pc[t] >= code.size()) {
            return false;
        }
        Instr in = code.get(pc[t]);
        return switch (in.kind()) {
            case LOCK -> mem[p.lockSlot(in.a())] == 0;
            case READ_LOCK -> (mem[p.lockSlot(in.a())] & 1) == 0;
            case AWAIT -> mem[p.varSlot(in.a())] == in.b();
            default -> true;
        };
    }

    private void dfs(long[] mem, int[] pc, long[] regs, int last, int preemptions, int depth) {
        boolean[] enabled = new boolean[n];
        boolean any = false;
        boolean unfinished = false;
        for (int t = 0; t < n; t++) {
            enabled[t] = enabled(t, mem, pc);
            any |= enabled[t];
            unfinished |= pc[t] < p.threads().get(t).size();
        }
        if (!any) {
            if (unfinished) {
                violation(Violation.DEADLOCK, preemptions, depth);
            } else if (RandomProgram.all(p.finalCheck(), v -> mem[p.varSlot(v)])) {
                violation(RandomProgram.FINAL, preemptions, depth);
            } else {
                executions++;
                List<Long> state = new ArrayList<>(mem.length);
                for (long v : mem) {
                    state.add(v);
                }
                finals.merge(state, preemptions, Math::min);
            }
            return;
        }
        for (int t = 0; t < n; t++) {
            if (!enabled[t]) {
                continue;
            }
            int pre = preemptions + (last >= 0 && t != last && enabled[last] ? 1 : 0);
            long[] m = mem.clone();
            int[] c = pc.clone();
            long[] r = regs.clone();
            Instr in = p.threads().get(t).get(c[t]);
            int base = t * RandomProgram.REGS;
            switch (in.kind()) {
                case READ -> r[base + (int) in.b()] = m[p.varSlot(in.a())];
                case WRITE_CONST -> m[p.varSlot(in.a())] = in.b();
                case WRITE_INC -> m[p.varSlot(in.a())] = r[base + (int) in.b()] + 1;
                case LOCK -> m[p.lockSlot(in.a())] = 1;
                case UNLOCK -> m[p.lockSlot(in.a())] = 0;
                case READ_LOCK -> m[p.lockSlot(in.a())] += 2;
                case READ_UNLOCK -> m[p.lockSlot(in.a())] -= 2;
                case AWAIT -> { }
                case ADD -> m[p.varSlot(in.a())] += in.b();
                case ADD_SIGN -> r[base] = Long.signum(m[p.varSlot(in.a())] += in.b()) + 1;
                case SIGN_ADD -> {
                    r[base] = Long.signum(m[p.varSlot(in.a())]) + 1;
                    m[p.varSlot(in.a())] += in.b();
                }
                case ADD_UNLESS_ZERO -> {
                    boolean nonzero = m[p.varSlot(in.a())] != 0;
                    if (nonzero) {
                        m[p.varSlot(in.a())] += in.b();
                    }
                    r[base + 1] = nonzero ? 1 : 0;
                }
                case ASSERT, FORGET, SKIP, CALL, RETURN -> throw new AssertionError("not a step");
            }
            c[t]++;
            if (!runAsserts(t, c, r)) {
                violation(RandomProgram.ASSERT, pre, depth + 1);
                continue;
            }
            if (invariantFails(m)) {
                violation(RandomProgram.INVARIANT, pre, depth + 1);
                continue;
            }
            dfs(m, c, r, t, pre, depth + 1);
        }
    }

    private void violation(String kind, int preemptions, int steps) {
        executions++;
        int[] best = kinds.get(kind);
        if (best == null || preemptions < best[0] || (preemptions == best[0] && steps < best[1])) {
            kinds.put(kind, new int[] {preemptions, steps});
        }
    }
}
