package dev.mmcheck.engine;

import java.util.Arrays;

/**
 * A set of held locks, as a sorted {@code int[]} of entries {@code slot << 1 | shared}: the locks a
 * thread holds at some point, or the locks held at every access a thread made to some slot (its
 * lockset, as in Eraser). Arrays are never changed once made.
 *
 * <p>Two holders exclude each other when they hold the same lock and one of them holds it
 * exclusively: then while one keeps it, the other cannot be inside.
 */
final class Lockset {
    static final int[] EMPTY = new int[0];

    private Lockset() {}

    static int lock(int entry) {
        return entry >>> 1;
    }

    static boolean shared(int entry) {
        return (entry & 1) != 0;
    }

    static int entry(int slot, boolean shared) {
        return slot << 1 | (shared ? 1 : 0);
    }

    /** {@code held} with {@code slot} taken: a new array. */
    static int[] with(int[] held, int slot, boolean shared) {
        int e = entry(slot, shared);
        int at = 0;
        while (at < held.length && held[at] < e) {
            at++;
        }
        int[] out = new int[held.length + 1];
        System.arraycopy(held, 0, out, 0, at);
        out[at] = e;
        System.arraycopy(held, at, out, at + 1, held.length - at);
        return out;
    }

    /** {@code held} without {@code slot}, or null if it does not hold it. */
    static int[] without(int[] held, int slot) {
        for (int i = 0; i < held.length; i++) {
            if (lock(held[i]) == slot) {
                int[] out = new int[held.length - 1];
                System.arraycopy(held, 0, out, 0, i);
                System.arraycopy(held, i + 1, out, i, held.length - i - 1);
                return out;
            }
        }
        return null;
    }

    /** The locks of {@code a} and of {@code b}, exclusive where either has it exclusive. */
    static int[] union(int[] a, int[] b) {
        int[] out = a;
        for (int e : b) {
            int o = find(out, lock(e));
            if (o < 0) {
                out = with(out, lock(e), shared(e));
            } else if (shared(o) && !shared(e)) {
                out = with(without(out, lock(e)), lock(e), false);
            }
        }
        return out;
    }

    /** The entry for {@code slot} in {@code held}, or -1. */
    static int find(int[] held, int slot) {
        for (int e : held) {
            if (lock(e) == slot) {
                return e;
            }
        }
        return -1;
    }

    /**
     * What was held at both of two accesses: the locks in both, shared if either held it shared.
     * Returns {@code a} itself when nothing is lost.
     */
    static int[] intersect(int[] a, int[] b) {
        if (within(a, b)) {
            return a;
        }
        int[] out = new int[a.length];
        int n = 0;
        for (int e : a) {
            int o = find(b, lock(e));
            if (o >= 0) {
                out[n++] = shared(e) || shared(o) ? e | 1 : e;
            }
        }
        return n == 0 ? EMPTY : Arrays.copyOf(out, n);
    }

    /** Whether holding {@code held} keeps every lock of {@code set} at least as strongly. */
    static boolean within(int[] set, int[] held) {
        for (int e : set) {
            int o = find(held, lock(e));
            if (o < 0 || (!shared(e) && shared(o))) {
                return false;
            }
        }
        return true;
    }

    /** Whether a thread holding {@code held} keeps out every access made under {@code set}. */
    static boolean excludes(int[] held, int[] set) {
        for (int e : set) {
            if (excludes(held, e)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a thread holding {@code held} keeps out an access made holding the one entry {@code e}. */
    static boolean excludes(int[] held, int e) {
        int o = find(held, lock(e));
        return o >= 0 && !(shared(e) && shared(o));
    }
}
