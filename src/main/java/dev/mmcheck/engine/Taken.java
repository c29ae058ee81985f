package dev.mmcheck.engine;

import java.util.Arrays;

/**
 * The locks a thread has taken on its path so far, each with the depth of its code
 * ({@link PathNode#depth}) it last took it at: in any mode, and exclusively. Or, in the access
 * summary, what every access a thread made to some slot had taken before it: the locks taken before
 * all of them, each at the least such depth (an intersection, as a lockset is).
 *
 * <p>Why: a lock taken before an access, even if released since, is a barrier in front of it. A
 * thread that has not yet taken the lock cannot make the access while another thread holds the
 * lock in a mode that keeps it out (mremap frees the old vma only after unlinking it under the
 * anon_vma lock, so a reclaimer that holds that lock for reading is safe from the free). Immutable.
 */
final class Taken {
    static final Taken NONE = new Taken(new int[0], new long[0]);

    // Sorted keys, slot << 1 | 1 for "taken in any mode", slot << 1 for "taken exclusively".
    private final int[] keys;
    private final long[] depths;

    private Taken(int[] keys, long[] depths) {
        this.keys = keys;
        this.depths = depths;
    }

    /**
     * The key of the takings a holder of {@code heldEntry} ({@link Lockset} entry) keeps out: every
     * taking if it holds the lock exclusively, exclusive takings if it holds it shared.
     */
    static int keptOutBy(int heldEntry) {
        return Lockset.shared(heldEntry) ? Lockset.lock(heldEntry) << 1 : Lockset.lock(heldEntry) << 1 | 1;
    }

    /** The depth of the last taking of {@code key}, -1 if none. */
    long depthOf(int key) {
        for (int i = 0; i < keys.length && keys[i] <= key; i++) {
            if (keys[i] == key) {
                return depths[i];
            }
        }
        return -1;
    }

    // The last taking added to this record and the record it made: a thread re-runs the same path
    // over and over, and the same object each time lets the summary see at once that it knows it.
    private record Memo(int slot, boolean shared, long depth, Taken result) {}

    private volatile Memo memo;

    /** This with {@code slot} taken at {@code depth} (shared or not). */
    Taken with(int slot, boolean shared, long depth) {
        Memo m = memo;
        if (m != null && m.slot == slot && m.shared == shared && m.depth == depth) {
            return m.result;
        }
        Taken out = set(slot << 1 | 1, depth);
        out = shared ? out : out.set(slot << 1, depth);
        memo = new Memo(slot, shared, depth, out);
        return out;
    }

    private Taken set(int key, long depth) {
        int i = Arrays.binarySearch(keys, key);
        if (i >= 0) {
            long[] d = depths.clone();
            d[i] = depth;
            return new Taken(keys, d);
        }
        int at = -i - 1;
        int[] k = new int[keys.length + 1];
        long[] d = new long[keys.length + 1];
        System.arraycopy(keys, 0, k, 0, at);
        System.arraycopy(depths, 0, d, 0, at);
        k[at] = key;
        d[at] = depth;
        System.arraycopy(keys, at, k, at + 1, keys.length - at);
        System.arraycopy(depths, at, d, at + 1, keys.length - at);
        return new Taken(k, d);
    }

    /** Whether {@code other} took every lock this has, each no earlier: the intersection would not change. */
    boolean within(Taken other) {
        if (this == other || other.lastWithin == this) {
            return true;
        }
        int j = 0;
        for (int i = 0; i < keys.length; i++) {
            while (j < other.keys.length && other.keys[j] < keys[i]) {
                j++;
            }
            if (j == other.keys.length || other.keys[j] != keys[i] || other.depths[j] < depths[i]) {
                return false;
            }
        }
        other.lastWithin = this;
        return true;
    }

    // The last record found within this one (both never change, so the answer stays true): the
    // summary asks the same question for every step a thread takes with this record.
    private Taken lastWithin;

    /** The takings in both, each at the lesser depth; this itself when nothing changes. */
    Taken intersect(Taken other) {
        if (within(other)) {
            return this;
        }
        int[] k = new int[keys.length];
        long[] d = new long[keys.length];
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            long o = other.depthOf(keys[i]);
            if (o >= 0) {
                k[n] = keys[i];
                d[n++] = Math.min(depths[i], o);
            }
        }
        return n == 0 ? NONE : new Taken(Arrays.copyOf(k, n), Arrays.copyOf(d, n));
    }
}
