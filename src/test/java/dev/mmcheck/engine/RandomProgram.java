package dev.mmcheck.engine;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * A small random multi-threaded program, kept as data so that it can be both compiled to the
 * engine's API ({@link #compile()}) and interpreted independently ({@link NaiveEnumerator}).
 *
 * <p>Shared slots: variables {@code x0..x(vars-1)} are slots {@code 0..vars-1}, locks
 * {@code L0..L(locks-1)} follow them. Each thread has {@link #REGS} registers, all zero at start.
 *
 * @param init initial values of the variables
 * @param threads each thread's code
 * @param stepCheck the step check, made in the initial state and after every step, fails (kind
 *     {@link #INVARIANT}) when all these conditions hold; empty for no step check
 * @param finalCheck the final check fails (kind {@link #FINAL}) when all these hold at the end;
 *     empty for no final check
 */
record RandomProgram(
        int vars, int locks, List<Long> init, List<List<Instr>> threads, List<Cond> stepCheck, List<Cond> finalCheck) {

    /** x[var] == value. */
    record Cond(int var, long value) {
        @Override
        public String toString() {
            return "x" + var + "==" + value;
        }
    }

    /** Whether all the conditions hold (false for none): the values are read through {@code value}. */
    static boolean all(List<Cond> conds, java.util.function.IntToLongFunction value) {
        if (conds.isEmpty()) {
            return false;
        }
        for (Cond c : conds) {
            if (value.applyAsLong(c.var()) != c.value()) {
                return false;
            }
        }
        return true;
    }

    static final int REGS = 2;
    static final String ASSERT = "ASSERT";
    static final String FINAL = "FINAL";
    static final String INVARIANT = "INVARIANT";
    static final List<String> KINDS = List.of(ASSERT, INVARIANT, Violation.DEADLOCK, FINAL);
    /** The kinds a step can end in (the others end an execution where no thread can move). */
    static final List<String> STEP_KINDS = List.of(ASSERT, INVARIANT);

    /** Upper bound on the number of interleavings (ignoring blocking) of a generated program. */
    static final double MAX_INTERLEAVINGS = 20000;

    enum Kind {
        /** reg[b] := x[a] */
        READ,
        /** x[a] := b */
        WRITE_CONST,
        /** x[a] := reg[b] + 1 */
        WRITE_INC,
        /** lock L[a] (waits while held) */
        LOCK,
        /** unlock L[a] */
        UNLOCK,
        /** lock L[a] shared (waits while it is held, not shared) */
        READ_LOCK,
        /** unlock L[a] held shared */
        READ_UNLOCK,
        /** wait until x[a] == b, touching nothing (a step whose guard reads what its effect does not) */
        AWAIT,
        /** x[a] += b, seeing nothing of x[a] (atomic_add) */
        ADD,
        /** x[a] += b; reg[0] := sign(x[a]) + 1 (atomic_dec_and_test and kin) */
        ADD_SIGN,
        /** reg[0] := sign(x[a]) + 1; x[a] += b (atomic_inc_and_test of a count from -1) */
        SIGN_ADD,
        /** if x[a] != 0: x[a] += b, reg[1] := 1; else reg[1] := 0 (atomic_add_unless(x, b, 0)) */
        ADD_UNLESS_ZERO,
        /** fail("ASSERT") when reg[a] == b; not a step */
        ASSERT,
        /** reg := 0 (what was read is forgotten); not a step */
        FORGET,
        /**
         * if reg[a] == b, the next instruction is skipped when it is a plain data step (not a lock,
         * a call or a return); not a step. Paths of one thread then differ in what they touch and
         * how long they are.
         */
        SKIP,
        /** a summarized call begins ({@link Steps#beginCall}); not a step */
        CALL,
        /** the call begun last returns the registers, all the code after it needs ({@link Steps#endCall}); not a step */
        RETURN
    }

    record Instr(Kind kind, int a, long b) {
        boolean isStep() {
            return kind != Kind.ASSERT && kind != Kind.FORGET && kind != Kind.SKIP && kind != Kind.CALL && kind != Kind.RETURN;
        }

        /** Whether a {@link Kind#SKIP} before it may skip it. */
        boolean skippable() {
            return isStep() && kind != Kind.LOCK && kind != Kind.UNLOCK && kind != Kind.READ_LOCK && kind != Kind.READ_UNLOCK;
        }

        @Override
        public String toString() {
            return switch (kind) {
                case READ -> "r" + b + "=x" + a;
                case WRITE_CONST -> "x" + a + "=" + b;
                case WRITE_INC -> "x" + a + "=r" + b + "+1";
                case LOCK -> "lock L" + a;
                case UNLOCK -> "unlock L" + a;
                case READ_LOCK -> "read_lock L" + a;
                case READ_UNLOCK -> "read_unlock L" + a;
                case AWAIT -> "await x" + a + "==" + b;
                case ADD -> "x" + a + "+=" + b;
                case ADD_SIGN -> "r0=sign(x" + a + "+=" + b + ")+1";
                case SIGN_ADD -> "r0=sign(x" + a + ")+1,x" + a + "+=" + b;
                case ADD_UNLESS_ZERO -> "r1=(x" + a + "!=0 && x" + a + "+=" + b + ")";
                case ASSERT -> "assert r" + a + "!=" + b;
                case SKIP -> "skip if r" + a + "==" + b;
                case FORGET -> "forget";
                case CALL -> "call {";
                case RETURN -> "} return r0,r1";
            };
        }
    }

    int slots() {
        return vars + locks;
    }

    int varSlot(int v) {
        return v;
    }

    int lockSlot(int l) {
        return vars + l;
    }

    int[] stepsPerThread() {
        int[] s = new int[threads.size()];
        for (int t = 0; t < s.length; t++) {
            s[t] = (int) threads.get(t).stream().filter(Instr::isStep).count();
        }
        return s;
    }

    int totalSteps() {
        int n = 0;
        for (int s : stepsPerThread()) {
            n += s;
        }
        return n;
    }

    static double interleavings(int[] steps) {
        double r = 1;
        int sum = 0;
        for (int s : steps) {
            for (int i = 1; i <= s; i++) {
                sum++;
                r = r * sum / i;
            }
        }
        return r;
    }

    /** The same program over the engine's API. */
    Program compile() {
        Layout layout = new Layout();
        for (int v = 0; v < vars; v++) {
            layout.alloc("x" + v);
        }
        for (int l = 0; l < locks; l++) {
            layout.alloc("L" + l);
        }
        Memory initial = new Memory(layout);
        for (int v = 0; v < vars; v++) {
            initial.write(varSlot(v), init.get(v));
        }
        List<ThreadSpec> specs = new ArrayList<>();
        for (int t = 0; t < threads.size(); t++) {
            specs.add(new ThreadSpec("T" + t, body(threads.get(t))));
        }
        List<Program.Check> steps = new ArrayList<>();
        if (!stepCheck.isEmpty()) {
            steps.add(m -> all(stepCheck, v -> m.peek(varSlot(v))) ? new Violation(INVARIANT, stepCheck.toString()) : null);
        }
        List<Program.Check> finals = new ArrayList<>();
        if (!finalCheck.isEmpty()) {
            finals.add(m -> all(finalCheck, v -> m.peek(varSlot(v))) ? new Violation(FINAL, finalCheck.toString()) : null);
        }
        return new Program(initial, specs, steps, finals);
    }

    /** Thread code: deterministic in its step results, all of its state in local variables. */
    private ThreadSpec.Body body(List<Instr> code) {
        return s -> {
            long[] regs = new long[REGS];
            for (int at = 0; at < code.size(); at++) {
                Instr in = code.get(at);
                switch (in.kind()) {
                    case READ -> regs[(int) in.b()] = s.step(Toy.read(varSlot(in.a())));
                    case WRITE_CONST -> s.step(Toy.write(varSlot(in.a()), in.b()));
                    case WRITE_INC -> s.step(Toy.write(varSlot(in.a()), regs[(int) in.b()] + 1));
                    case LOCK -> s.step(Toy.lock(lockSlot(in.a())));
                    case UNLOCK -> s.step(Toy.unlock(lockSlot(in.a())));
                    case READ_LOCK -> s.step(Toy.readLock(lockSlot(in.a())));
                    case READ_UNLOCK -> s.step(Toy.readUnlock(lockSlot(in.a())));
                    case AWAIT -> s.step(Toy.await(varSlot(in.a()), in.b()));
                    case ADD -> s.step(Toy.add(varSlot(in.a()), in.b()));
                    case ADD_SIGN -> regs[0] = s.step(Toy.addAndSign(varSlot(in.a()), in.b())) + 1;
                    case SIGN_ADD -> regs[0] = s.step(Toy.signAndAdd(varSlot(in.a()), in.b())) + 1;
                    case ADD_UNLESS_ZERO -> regs[1] = s.step(Toy.addUnlessZero(varSlot(in.a()), in.b()));
                    case ASSERT -> {
                        if (regs[in.a()] == in.b()) {
                            s.fail(ASSERT, "T" + s.self() + ": r" + in.a() + " == " + in.b());
                            return;
                        }
                    }
                    case FORGET -> java.util.Arrays.fill(regs, 0);
                    case SKIP -> {
                        if (regs[in.a()] == in.b() && at + 1 < code.size() && code.get(at + 1).skippable()) {
                            at++;
                        }
                    }
                    case CALL -> s.beginCall(0); // one key for all: the state before the call tells them apart
                    case RETURN -> s.endCall(regs[0] * 1_000_003L + regs[1]);
                }
            }
        };
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("vars=").append(vars).append(" init=").append(init)
                .append(" locks=").append(locks);
        if (!stepCheck.isEmpty()) {
            sb.append(" always: !").append(stepCheck);
        }
        if (!finalCheck.isEmpty()) {
            sb.append(" final: !").append(finalCheck);
        }
        for (int t = 0; t < threads.size(); t++) {
            sb.append("\n  T").append(t).append(": ").append(threads.get(t));
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ generation

    /**
     * A thread before it is laid out: plain ops, and locks (taken in order, shared or not) around
     * ops[from, to); then up to two summarized calls around code[calls[0], calls[1]) and
     * code[calls[2], calls[3]) of the laid-out code (ends clamped; the second only if it nests in the
     * first or keeps apart from it).
     */
    private record Plan(List<Instr> ops, int from, int to, List<Integer> lockOrder, boolean shared, List<Integer> calls) {
        int steps() {
            return (int) ops.stream().filter(Instr::isStep).count() + 2 * lockOrder.size();
        }

        Plan withLocks(List<Integer> order) {
            return new Plan(ops, from, to, order, false, calls);
        }

        Plan dropLast() {
            if (ops.size() > 1) {
                List<Instr> fewer = ops.subList(0, ops.size() - 1);
                return new Plan(fewer, Math.min(from, fewer.size()), Math.min(to, fewer.size()), lockOrder, shared, calls);
            }
            if (!lockOrder.isEmpty()) {
                return new Plan(ops, from, to, lockOrder.subList(0, lockOrder.size() - 1), shared, calls);
            }
            return this;
        }

        List<Instr> layOut() {
            List<Instr> code = new ArrayList<>(ops.subList(0, from));
            for (int l : lockOrder) {
                code.add(new Instr(shared ? Kind.READ_LOCK : Kind.LOCK, l, 0));
            }
            code.addAll(ops.subList(from, to));
            for (int i = lockOrder.size() - 1; i >= 0; i--) {
                code.add(new Instr(shared ? Kind.READ_UNLOCK : Kind.UNLOCK, lockOrder.get(i), 0));
            }
            code.addAll(ops.subList(to, ops.size()));
            return withCalls(code);
        }

        private List<Instr> withCalls(List<Instr> code) {
            int n = code.size();
            int a1 = Math.min(Math.min(calls.get(0), calls.get(1)), n);
            int b1 = Math.min(Math.max(calls.get(0), calls.get(1)), n);
            int a2 = Math.min(Math.min(calls.get(2), calls.get(3)), n);
            int b2 = Math.min(Math.max(calls.get(2), calls.get(3)), n);
            boolean second = a2 < b2 && ((a1 <= a2 && b2 <= b1) || (a2 <= a1 && b1 <= b2) || b2 <= a1 || b1 <= a2);
            // Markers before code[i]: returns first (the inner call's), then calls (the outer one's).
            List<long[]> marks = new ArrayList<>(); // {index, 0 return / 1 call, order}
            for (int[] c : second ? new int[][] {{a1, b1}, {a2, b2}} : new int[][] {{a1, b1}}) {
                if (c[0] < c[1]) {
                    marks.add(new long[] {c[1], 0, c[1] - c[0]});
                    marks.add(new long[] {c[0], 1, -(c[1] - c[0])});
                }
            }
            marks.sort(java.util.Comparator.<long[]>comparingLong(m -> m[0]).thenComparingLong(m -> m[1]).thenComparingLong(m -> m[2]));
            List<Instr> out = new ArrayList<>();
            int next = 0;
            for (long[] m : marks) {
                while (next < m[0]) {
                    out.add(code.get(next++));
                }
                out.add(new Instr(m[1] == 1 ? Kind.CALL : Kind.RETURN, 0, 0));
            }
            out.addAll(code.subList(next, n));
            return out;
        }
    }

    /**
     * Programs of 2–4 threads of 1–5 ops over 1–3 variables and 1–2 locks (taken exclusive or shared), trimmed (ops dropped
     * from the end of the longest thread) until they have at most {@link #MAX_INTERLEAVINGS}
     * interleavings, so that the naive enumeration stays cheap. Nothing keeps the initial state
     * from failing: a thread may assert before its first step (or have no step at all), and the step
     * check may fail at once.
     */
    static Arbitrary<RandomProgram> arbitrary() {
        return Combinators.combine(
                        Arbitraries.integers().between(1, 3),
                        Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(1)), Tuple.of(2, Arbitraries.just(2))),
                        Arbitraries.integers().between(2, 4))
                .as(Tuple::of)
                .flatMap(shape -> {
                    int nv = shape.get1();
                    int nl = shape.get2();
                    int nt = shape.get3();
                    int maxOps = nt == 2 ? 5 : nt == 3 ? 4 : 3;
                    Arbitrary<List<Plan>> plans = plan(nv, nl, maxOps).list().ofSize(nt);
                    Arbitrary<List<Long>> init = Arbitraries.frequencyOf(
                                    Tuple.of(3, Arbitraries.just(0L)), Tuple.of(1, Arbitraries.just(1L)))
                            .list().ofSize(nv);
                    Arbitrary<Cond> cond = Combinators.combine(
                                    Arbitraries.integers().between(0, nv - 1), Arbitraries.longs().between(0, 2))
                            .as(Cond::new);
                    Arbitrary<List<Cond>> stepCheck = Arbitraries.frequencyOf(
                            Tuple.of(4, Arbitraries.just(List.<Cond>of())),
                            Tuple.of(1, cond.list().ofSize(1)),
                            Tuple.of(nv > 1 ? 2 : 0, cond.list().ofSize(2)));
                    Arbitrary<List<Cond>> finalCheck = Arbitraries.frequencyOf(
                            Tuple.of(1, Arbitraries.just(List.<Cond>of())), Tuple.of(1, cond.list().ofSize(1)));
                    // Now and then the first two threads take both locks in opposite orders.
                    Arbitrary<Boolean> abba = Arbitraries.frequencyOf(
                            Tuple.of(3, Arbitraries.just(false)), Tuple.of(nl == 2 ? 1 : 0, Arbitraries.just(true)));
                    return Combinators.combine(plans, init, stepCheck, finalCheck, abba)
                            .as((ps, in, sc, fc, ab) -> {
                                List<Plan> ps2 = ps;
                                if (ab) {
                                    ps2 = new ArrayList<>(ps);
                                    ps2.set(0, ps.get(0).withLocks(List.of(0, 1)));
                                    ps2.set(1, ps.get(1).withLocks(List.of(1, 0)));
                                }
                                return build(nv, nl, ps2, in, sc, fc);
                            });
                });
    }

    private static RandomProgram build(
            int nv, int nl, List<Plan> plans, List<Long> init, List<Cond> stepCheck, List<Cond> finalCheck) {
        List<Plan> ps = new ArrayList<>(plans);
        while (true) {
            int[] steps = ps.stream().mapToInt(Plan::steps).toArray();
            if (interleavings(steps) <= MAX_INTERLEAVINGS) {
                break;
            }
            int longest = 0;
            for (int t = 1; t < steps.length; t++) {
                if (steps[t] > steps[longest]) {
                    longest = t;
                }
            }
            Plan shorter = ps.get(longest).dropLast();
            if (shorter == ps.get(longest)) {
                break;
            }
            ps.set(longest, shorter);
        }
        List<List<Instr>> code = ps.stream().map(Plan::layOut).toList();
        return new RandomProgram(nv, nl, List.copyOf(init), code, stepCheck, finalCheck);
    }

    private static Arbitrary<Plan> plan(int nv, int nl, int maxOps) {
        Arbitrary<List<Instr>> ops = Arbitraries.frequencyOf(
                        Tuple.of(5, step(nv)), Tuple.of(1, assertion()), Tuple.of(1, Arbitraries.just(new Instr(Kind.FORGET, 0, 0))),
                        Tuple.of(1, skip()))
                .list().ofMinSize(1).ofMaxSize(maxOps);
        Arbitrary<List<Integer>> lockOrder = nl == 1
                ? Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(List.of())), Tuple.of(1, Arbitraries.just(List.of(0))))
                : Arbitraries.frequencyOf(
                        Tuple.of(2, Arbitraries.just(List.of())),
                        Tuple.of(1, Arbitraries.just(List.of(0))),
                        Tuple.of(1, Arbitraries.just(List.of(1))),
                        Tuple.of(3, Arbitraries.just(List.of(0, 1))),
                        Tuple.of(3, Arbitraries.just(List.of(1, 0))));
        Arbitrary<Integer> pos = Arbitraries.integers().between(0, maxOps);
        // A third of the threads take their locks shared (readers of a reader-writer lock).
        Arbitrary<Boolean> shared = Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.just(false)), Tuple.of(1, Arbitraries.just(true)));
        Arbitrary<List<Integer>> calls = Arbitraries.integers().between(0, maxOps + 4).list().ofSize(4);
        return Combinators.combine(ops, pos, pos, lockOrder, shared, calls).as((o, p, q, lo, sh, c) -> {
            int from = Math.min(Math.min(p, q), o.size());
            int to = Math.min(Math.max(p, q), o.size());
            return new Plan(o, from, to, lo, sh, c);
        });
    }

    private static Arbitrary<Instr> step(int nv) {
        Arbitrary<Integer> var = Arbitraries.integers().between(0, nv - 1);
        Arbitrary<Long> reg = Arbitraries.longs().between(0, REGS - 1);
        Arbitrary<Instr> read = Combinators.combine(var, reg).as((v, r) -> new Instr(Kind.READ, v, r));
        Arbitrary<Instr> writeConst = Combinators.combine(var, Arbitraries.longs().between(0, 2))
                .as((v, c) -> new Instr(Kind.WRITE_CONST, v, c));
        Arbitrary<Instr> writeInc = Combinators.combine(var, reg).as((v, r) -> new Instr(Kind.WRITE_INC, v, r));
        Arbitrary<Instr> await = Combinators.combine(var, Arbitraries.longs().between(0, 2))
                .as((v, c) -> new Instr(Kind.AWAIT, v, c));
        Arbitrary<Long> delta = Arbitraries.of(-1L, 1L);
        Arbitrary<Instr> add = Combinators.combine(Arbitraries.of(Kind.ADD, Kind.ADD_SIGN, Kind.SIGN_ADD, Kind.ADD_UNLESS_ZERO), var, delta)
                .as((k, v, d) -> new Instr(k, v, d));
        return Arbitraries.frequencyOf(Tuple.of(4, read), Tuple.of(3, writeConst), Tuple.of(3, writeInc), Tuple.of(1, await), Tuple.of(3, add));
    }

    private static Arbitrary<Instr> skip() {
        return Combinators.combine(Arbitraries.integers().between(0, REGS - 1), Arbitraries.longs().between(0, 1))
                .as((r, v) -> new Instr(Kind.SKIP, r, v));
    }

    private static Arbitrary<Instr> assertion() {
        return Combinators.combine(Arbitraries.integers().between(0, REGS - 1), Arbitraries.longs().between(0, 2))
                .as((r, v) -> new Instr(Kind.ASSERT, r, v));
    }
}
