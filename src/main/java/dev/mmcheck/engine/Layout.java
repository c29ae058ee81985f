package dev.mmcheck.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * Names of the shared-memory slots. Shared by every execution of one program, so an op built in
 * one execution addresses the same slot in all of them. Slots may be added while exploring (a
 * page-table entry first touched): a new slot reads as zero everywhere.
 */
public final class Layout {
    private final List<String> names = new ArrayList<>();
    /** Slots marked {@link #lockState}, a bit each; replaced, never changed in place (read without the monitor). */
    private volatile long[] lockState = new long[0];

    public synchronized int alloc(String name) {
        names.add(name);
        return names.size() - 1;
    }

    /**
     * A word whose bits are kept one per slot, from the returned slot on, in the order of
     * {@code bits} (their names). Steps that touch different bits of it then commute, as atomic
     * bit operations on one word do; {@link Memory#readBits} and {@link Memory#writeBits} use it.
     */
    public synchronized int allocBits(String name, String... bits) {
        int base = names.size();
        for (String b : bits) {
            names.add(name + "." + b);
        }
        return base;
    }

    /**
     * Marks {@code slot} as part of a lock besides the slot named in {@link Memory#acquired} (a
     * reader count, say): a slot that holds the same value whenever the lock is free, and that
     * only the lock's own steps touch. Critical sections of the lock commute over it ({@link Section}).
     */
    public synchronized void lockState(int slot) {
        long[] bits = java.util.Arrays.copyOf(lockState, Math.max(lockState.length, (slot >>> 6) + 1));
        bits[slot >>> 6] |= 1L << slot;
        lockState = bits;
    }

    boolean isLockState(int slot) {
        long[] bits = lockState;
        return (slot >>> 6) < bits.length && (bits[slot >>> 6] & (1L << slot)) != 0;
    }

    public synchronized int size() {
        return names.size();
    }

    public synchronized String name(int slot) {
        return names.get(slot);
    }
}
