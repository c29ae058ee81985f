package dev.mmcheck.engine;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.Arrays;

/**
 * The shared state of one execution: a vector of 64-bit slots named by a {@link Layout}.
 *
 * <p>It keeps an incremental fingerprint (an xor of one hash per non-zero slot), an undo log so
 * the explorer can step back without copying, and the footprint of the step being run.
 */
public final class Memory {
    private final Layout layout;
    private long[] values;
    private long fingerprint;

    private long[] undo = new long[256]; // pairs: slot, old value
    private int undoTop;

    private final IntArrayList reads = new IntArrayList();
    private final IntArrayList writes = new IntArrayList();
    // The step's adds ({@link Footprint.Add}), field by field: most steps' footprints are reused
    // ({@link #footprint(Footprint)}), so an Add is made only for a new one.
    private final IntArrayList addSlots = new IntArrayList();
    private final it.unimi.dsi.fastutil.longs.LongArrayList addDeltas = new it.unimi.dsi.fastutil.longs.LongArrayList();
    private final IntArrayList addSees = new IntArrayList();
    /** Locks the running step took and released: {@code slot << 2 | shared}, or {@code slot << 2 | 2} for a release. */
    private final IntArrayList lockEvents = new IntArrayList();
    private Violation violation;
    /** Between {@link #beginStep} and {@link #footprint}: a peek by the step is one of its reads. */
    private boolean inStep;
    /** Slots peeked outside steps since {@link #logPeeks}, while logging: the checks' reads. */
    private final IntArrayList peeked = new IntArrayList();
    private boolean logging;

    public Memory(Layout layout) {
        this.layout = layout;
        this.values = new long[Math.max(16, layout.size())];
    }

    private Memory(Memory o) {
        this.layout = o.layout;
        this.values = o.values.clone();
        this.fingerprint = o.fingerprint;
    }

    /** An independent copy of the current values (no undo history). */
    public Memory copy() {
        return new Memory(this);
    }

    public Layout layout() {
        return layout;
    }

    public long read(int slot) {
        reads.add(slot);
        return slot < values.length ? values[slot] : 0;
    }

    public void write(int slot, long value) {
        writes.add(slot);
        set(slot, value);
    }

    private void set(int slot, long value) {
        if (slot >= values.length) {
            values = Arrays.copyOf(values, Math.max(slot + 1, values.length * 2));
        }
        long old = values[slot];
        if (old == value) {
            return;
        }
        if (undoTop + 2 > undo.length) {
            undo = Arrays.copyOf(undo, undo.length * 2);
        }
        undo[undoTop++] = slot;
        undo[undoTop++] = old;
        fingerprint ^= Hash.slot(slot, old) ^ Hash.slot(slot, value);
        values[slot] = value;
    }

    /**
     * Adds {@code delta} to the counter in {@code slot}, seeing nothing of its value (atomic_add,
     * get_page): two such steps commute, as they do on a CPU, though both write the slot.
     */
    public void add(int slot, long delta) {
        addSeeing(slot, delta, Footprint.Add.BLIND);
    }

    /** Adds {@code delta} to the counter in {@code slot}; returns the sign of the sum (atomic_dec_and_test: 0). */
    public int addAndSign(int slot, long delta) {
        return Long.signum(addSeeing(slot, delta, Footprint.Add.NEW_SIGN) + delta);
    }

    /** Adds {@code delta} to the counter in {@code slot}; returns the sign of the value before (atomic_inc_and_test of a count from -1: 0). */
    public int signAndAdd(int slot, long delta) {
        return Long.signum(addSeeing(slot, delta, Footprint.Add.OLD_SIGN));
    }

    /** Adds {@code delta} to the counter in {@code slot} unless it is zero (atomic_add_unless); returns whether it added. */
    public boolean addUnlessZero(int slot, long delta) {
        if (value(slot) == 0) {
            reads.add(slot); // it saw the zero: a read, which any change of the counter conflicts with
            return false;
        }
        addSeeing(slot, delta, Footprint.Add.OLD_NONZERO);
        return true;
    }

    /** Records an add that sees {@code sees} of the counter ({@link Footprint.Add}) and makes it; returns the value before. */
    private long addSeeing(int slot, long delta, int sees) {
        addSlots.add(slot);
        addDeltas.add(delta);
        addSees.add(sees);
        long before = value(slot);
        set(slot, before + delta);
        return before;
    }

    /** The value in {@code slot}, recorded nowhere: for the explorer's own questions. */
    long value(int slot) {
        return slot < values.length ? values[slot] : 0;
    }

    /**
     * The bits of {@code mask} of a word kept one bit per slot from {@code base}
     * ({@link Layout#allocBits}); only those bits are read.
     */
    public long readBits(int base, long mask) {
        return bits(base, mask, false);
    }

    /** Sets the bits of {@code mask} of a word kept one bit per slot to those of {@code value}; only they are written. */
    public void writeBits(int base, long mask, long value) {
        for (long b = mask; b != 0; b &= b - 1) {
            int i = Long.numberOfTrailingZeros(b);
            write(base + i, (value >>> i) & 1);
        }
    }

    /** {@link #readBits} as {@link #peek} reads. */
    public long peekBits(int base, long mask) {
        return bits(base, mask, true);
    }

    private long bits(int base, long mask, boolean peek) {
        long v = 0;
        for (long b = mask; b != 0; b &= b - 1) {
            int i = Long.numberOfTrailingZeros(b);
            if ((peek ? peek(base + i) : read(base + i)) != 0) {
                v |= 1L << i;
            }
        }
        return v;
    }

    /**
     * Reads without counting as a step's access, for checks that are not part of any step. Inside
     * a step it is a read like any other: what the step does may depend on it.
     */
    public long peek(int slot) {
        if (inStep) {
            reads.add(slot);
        } else if (logging) {
            peeked.add(slot);
        }
        return slot < values.length ? values[slot] : 0;
    }

    /** Starts (or, with false, stops) recording the slots peeked outside steps. */
    void logPeeks(boolean on) {
        logging = on;
        peeked.clear();
    }

    /** The slots peeked since {@link #logPeeks}. */
    IntArrayList peeked() {
        return peeked;
    }

    /**
     * Called by an op that has just taken the lock in {@code slot}: exclusively, or shared with
     * other holders that also took it shared. While a thread holds a lock exclusively no other
     * thread takes it, so what it does under the lock cannot be touched by anyone who only touches
     * it under the same lock: the explorer uses this to take such steps alone, and checks it.
     */
    public void acquired(int slot, boolean shared) {
        lockEvents.add(slot << 2 | (shared ? 1 : 0));
    }

    /** Called by an op that has just released the lock in {@code slot}, which its thread holds. */
    public void released(int slot) {
        lockEvents.add(slot << 2 | 2);
    }

    /** Whether the step just run took or released the lock in {@code slot}. */
    boolean tookOrReleased(int slot) {
        for (int i = 0; i < lockEvents.size(); i++) {
            if (lockEvents.getInt(i) >>> 2 == slot) {
                return true;
            }
        }
        return false;
    }

    /** The value {@code slot} held at {@link #mark} {@code mark} (its value now if it has not changed since). */
    long valueAt(int mark, int slot) {
        for (int i = mark; i < undoTop; i += 2) {
            if (undo[i] == slot) {
                return undo[i + 1];
            }
        }
        return value(slot);
    }

    /** What the step just run took and released, in order; valid until the next step. */
    IntArrayList lockEvents() {
        return lockEvents;
    }

    /** Called by an op that has just observed something that must never happen. */
    public void violate(String kind, String message) {
        if (violation == null) {
            violation = new Violation(kind, message);
        }
    }

    public long fingerprint() {
        return fingerprint;
    }

    /**
     * A position in the record of changed slots, for a caller that wants to know what one piece of
     * code changed: {@link #changesSince}, {@link #changedSlot} and {@link #changedFrom} then list
     * the slots whose value changed since (a write of the value already there is not a change).
     */
    public int changeMark() {
        return undoTop;
    }

    public int changesSince(int mark) {
        return (undoTop - mark) >> 1;
    }

    /** The slot of the {@code i}-th change since {@code mark}. */
    public int changedSlot(int mark, int i) {
        return (int) undo[mark + 2 * i];
    }

    /** The value the slot held before the {@code i}-th change since {@code mark}. */
    public long changedFrom(int mark, int i) {
        return undo[mark + 2 * i + 1];
    }

    int mark() {
        return undoTop;
    }

    void rollback(int mark) {
        while (undoTop > mark) {
            long old = undo[--undoTop];
            int slot = (int) undo[--undoTop];
            fingerprint ^= Hash.slot(slot, values[slot]) ^ Hash.slot(slot, old);
            values[slot] = old;
        }
    }

    /** Forget the undo history: the current values become the base of a new exploration. */
    void commit() {
        undoTop = 0;
    }

    void beginStep() {
        reads.clear();
        writes.clear();
        addSlots.clear();
        addDeltas.clear();
        addSees.clear();
        lockEvents.clear();
        violation = null;
        inStep = true;
    }

    /** Starts recording what a step's guard reads ({@link Op#enabled}). */
    void beginGuard() {
        reads.clear();
        inStep = true;
    }

    /** The slots the guard read since {@link #beginGuard}; valid until the next step or guard. */
    IntArrayList guardReads() {
        inStep = false;
        return reads;
    }

    /**
     * The step's footprint; {@code like} itself if it is the same (a step re-run from the same
     * point of its code mostly touches the same slots, and a footprint a step makes is otherwise
     * the largest part of what the search allocates).
     */
    Footprint footprint(Footprint like) {
        inStep = false;
        if (addSlots.isEmpty()) {
            if (like != null && like.adds().length == 0 && same(reads, like.reads()) && same(writes, like.writes())) {
                return like;
            }
            return new Footprint(reads.toIntArray(), writes.toIntArray());
        }
        if (like != null && addsKeptApart() && same(reads, like.reads()) && same(writes, like.writes()) && sameAdds(like.adds())) {
            return like;
        }
        return withAdds();
    }

    /** Whether {@code list} holds the elements of {@code a}, in order. */
    static boolean same(IntArrayList list, int[] a) {
        if (list.size() != a.length) {
            return false;
        }
        int[] e = list.elements();
        for (int i = 0; i < a.length; i++) {
            if (e[i] != a[i]) {
                return false;
            }
        }
        return true;
    }

    private boolean sameAdds(Footprint.Add[] a) {
        if (addSlots.size() != a.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (addSlots.getInt(i) != a[i].slot() || addDeltas.getLong(i) != a[i].delta() || addSees.getInt(i) != a[i].sees()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The footprint of a step that added: an add to a slot the step also read, wrote or added to
     * again is taken as a read and a write, since what the step did may then depend on the value.
     */
    private Footprint withAdds() {
        IntArrayList r = new IntArrayList(reads);
        IntArrayList w = new IntArrayList(writes);
        java.util.List<Footprint.Add> kept = new java.util.ArrayList<>();
        for (int i = 0; i < addSlots.size(); i++) {
            if (!keptApart(i)) {
                r.add(addSlots.getInt(i));
                w.add(addSlots.getInt(i));
            } else {
                kept.add(new Footprint.Add(addSlots.getInt(i), addDeltas.getLong(i), addSees.getInt(i)));
            }
        }
        return new Footprint(r.toIntArray(), w.toIntArray(), kept.toArray(Footprint.NO_ADDS));
    }

    /** Whether every add of the step is to a counter it touched in no other way (the common case). */
    private boolean addsKeptApart() {
        for (int i = 0; i < addSlots.size(); i++) {
            if (!keptApart(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the step touched the counter of its {@code i}th add only by that one add. */
    private boolean keptApart(int i) {
        int slot = addSlots.getInt(i);
        int same = 0;
        for (int j = 0; j < addSlots.size(); j++) {
            same += addSlots.getInt(j) == slot ? 1 : 0;
        }
        return same == 1 && !reads.contains(slot) && !writes.contains(slot);
    }

    /** The violation raised by the step just run, if any, and forget it. */
    public Violation takeViolation() {
        Violation v = violation;
        violation = null;
        return v;
    }

    /** The non-zero slots, by name: a readable picture of the state. */
    public String dump() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.length && i < layout.size(); i++) {
            if (values[i] != 0) {
                sb.append(layout.name(i)).append(" = ").append(values[i]).append('\n');
            }
        }
        return sb.toString();
    }
}
