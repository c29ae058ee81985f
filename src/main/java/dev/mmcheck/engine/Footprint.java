package dev.mmcheck.engine;

import java.util.Arrays;

/**
 * The slots one executed step read and wrote, and the counters it added to; two steps commute
 * unless their footprints conflict. An add ({@link Memory#add}) is kept apart from reads and
 * writes because two adds to one counter commute as long as neither sees a different value of it
 * either way round ({@link Add#commutes}).
 */
public record Footprint(int[] reads, int[] writes, Add[] adds, int lock, int[] lockSlots, int[] readSet, int[] writeSet) {
    static final Add[] NO_ADDS = new Add[0];

    public Footprint(int[] reads, int[] writes) {
        this(reads, writes, NO_ADDS, -1, null);
    }

    public Footprint(int[] reads, int[] writes, Add[] adds) {
        this(reads, writes, adds, -1, null);
    }

    /** {@code readSet} and {@code writeSet}: the slots read and written, adds counted as both (made once). */
    Footprint(int[] reads, int[] writes, Add[] adds, int lock, int[] lockSlots) {
        this(reads, writes, adds, lock, lockSlots, adds.length == 0 ? reads : plus(reads, adds), adds.length == 0 ? writes : plus(writes, adds));
    }

    /**
     * This footprint as that of a whole critical section of {@code lock}, from the step that took
     * it to the one that released it, whose lock steps touched {@code lockSlots} and left them as
     * they were ({@link Section}).
     */
    Footprint asSection(int lock, int[] lockSlots) {
        return new Footprint(readSet(), writeSet(), NO_ADDS, lock, lockSlots);
    }

    /**
     * One add to a counter: {@code delta}, and what the step saw of the counter ({@link #BLIND}:
     * nothing; {@link #NEW_SIGN} or {@link #OLD_SIGN}: the sign of the sum, or of the value before;
     * {@link #OLD_NONZERO}: that it was not zero before, the step adding only then).
     */
    public record Add(int slot, long delta, int sees) {
        public static final int BLIND = 0;
        public static final int NEW_SIGN = 1;
        public static final int OLD_SIGN = 2;
        public static final int OLD_NONZERO = 3;

        /** What the add sees of the counter when it finds it at {@code before}. */
        int seen(long before) {
            return switch (sees) {
                case NEW_SIGN -> Long.signum(before + delta);
                case OLD_SIGN -> Long.signum(before);
                case OLD_NONZERO -> before != 0 ? 1 : 0;
                default -> 0;
            };
        }

        /**
         * Whether this add and {@code o} commute when the counter holds {@code before} ahead of
         * both: each sees the same whether the other went first or not (the sum is the same anyway).
         */
        boolean commutes(Add o, long before) {
            return seen(before) == seen(before + o.delta) && o.seen(before) == o.seen(before + delta);
        }
    }

    private static int[] plus(int[] slots, Add[] adds) {
        int[] out = Arrays.copyOf(slots, slots.length + adds.length);
        for (int i = 0; i < adds.length; i++) {
            out[slots.length + i] = adds[i].slot;
        }
        return out;
    }

    /** The footprint of this step and {@code o} together, adds counted as reads and writes. */
    Footprint with(Footprint o) {
        return new Footprint(concat(readSet(), o.readSet()), concat(writeSet(), o.writeSet()));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Whether the two steps may not commute, adds counted as reads and writes. */
    public boolean conflictsWith(Footprint o) {
        return conflict(readSet, writeSet, o.readSet, o.writeSet, null);
    }

    /**
     * Whether this step may not commute with {@code o}, the step just run, whose effects {@code m}
     * holds: as {@link #conflictsWith}, except that two adds to one counter commute when each
     * sees the same of it in either order ({@link Add#commutes}, with the counter as it was
     * before {@code o}).
     */
    boolean conflictsWith(Footprint o, Memory m) {
        if (lock >= 0 && m.tookOrReleased(lock)) {
            // A whole critical section and a step that took or released the same lock: a conflict on
            // the lock's own slots does not count. The step belongs to a critical section of another
            // CPU that, in any execution where this section comes after it, ends before this one
            // begins, and both leave the lock as they found it: if nothing else conflicts, the two
            // sections commute.
            return conflict(reads, writes, o.readSet, o.writeSet, lockSlots);
        }
        if (adds.length == 0 && o.adds.length == 0) {
            return conflict(reads, writes, o.reads, o.writes, null);
        }
        // An add conflicts with any read or write of its counter; with another add, it depends.
        if (conflict(reads, writes, o.readSet, o.writeSet, null) || conflict(o.reads, o.writes, readSet, writeSet, null)) {
            return true;
        }
        for (Add a : adds) {
            for (Add b : o.adds) {
                if (a.slot == b.slot && !a.commutes(b, m.value(b.slot) - b.delta)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether one side writes a slot the other reads or writes, slots in {@code except} (may be null) aside. */
    private static boolean conflict(int[] r1, int[] w1, int[] r2, int[] w2, int[] except) {
        return intersects(w1, w2, except) || intersects(w1, r2, except) || intersects(r1, w2, except);
    }

    private static boolean intersects(int[] a, int[] b, int[] except) {
        for (int x : a) {
            for (int y : b) {
                if (x == y && (except == null || !contains(except, x))) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean contains(int[] a, int x) {
        for (int y : a) {
            if (y == x) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object x) {
        return x instanceof Footprint f && Arrays.equals(reads, f.reads) && Arrays.equals(writes, f.writes) && Arrays.equals(adds, f.adds)
                && lock == f.lock && Arrays.equals(lockSlots, f.lockSlots);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(reads) * 31 + Arrays.hashCode(writes) * 17 + Arrays.hashCode(adds);
    }
}
