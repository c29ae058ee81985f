package dev.mmcheck.engine;

import it.unimi.dsi.fastutil.ints.IntList;
import java.util.Arrays;

/**
 * Which slots each thread has been seen to read and write, and which the step checks read: the
 * assumptions behind local steps.
 *
 * <p>A step is local when no other thread unfinished writes what the step reads or touches what it
 * writes, except under a lock the step's thread holds and excludes it from (then it cannot, for as
 * long as this thread does not move), and no step check reads what it writes. A local step
 * commutes with everything the other threads can still do and changes nothing a check sees, so
 * {the step} is a persistent set: the
 * explorer takes it without trying the other threads from that state (Godefroid's persistent sets,
 * with the visibility proviso; the state graph has no cycles, so no step is ignored for ever).
 *
 * <p>What the threads touch is learned, not declared: before the search, from executions with at
 * most one preemption and random ones; during it, from every step taken. Each "yes, local" is
 * remembered with what it relied on. Learning something a yes relied on (another thread writing a
 * slot a local step read, ...) contradicts the run, which then proves nothing and is started
 * again. Learning anything else leaves every decision as the final summary would have taken it, so
 * a run that ends uncontradicted is the reduced search of a summary that covers every step it
 * took; and up to the first step outside a summary, the reduced search reorders only steps that
 * commute, so it reaches that step too: the summary covers every reachable step.
 */
final class AccessSummary {
    private final int n;
    // Per thread, per slot it read (wrote): the locks it held at every such access (Lockset); null
    // for a slot it never read (wrote). Arrays are replaced, never changed in place.
    private final int[][][] readLocks;
    private final int[][][] writeLocks;
    private long[] visible = new long[0];
    // Per thread: slots local steps of other threads read (this thread must never write them other
    // than it has, under the locks it did) and wrote (it must never touch them other than it has);
    // and slots local steps wrote (no check may read them).
    private final long[][] reliedReads;
    private final long[][] reliedWrites;
    private long[] reliedVisible = new long[0];
    /** Odd while the summary is being changed; a decision that saw it change is not taken. */
    private volatile long version;
    private volatile boolean contradicted;

    AccessSummary(int threads) {
        this.n = threads;
        this.readLocks = new int[threads][0][];
        this.writeLocks = new int[threads][0][];
        this.reliedReads = new long[threads][0];
        this.reliedWrites = new long[threads][0];
    }

    /** Changes whenever the summary grows. */
    long version() {
        return version;
    }

    /** Whether something learned since {@link #forgetDecisions} contradicts a local step taken since. */
    boolean contradicted() {
        return contradicted;
    }

    /** Starts a run: no decision taken yet. */
    synchronized void forgetDecisions() {
        contradicted = false;
        reliedVisible = new long[0];
        for (int t = 0; t < n; t++) {
            reliedReads[t] = new long[0];
            reliedWrites[t] = new long[0];
        }
    }

    /**
     * Records what thread {@code t}'s step touched, holding the locks {@code held}; returns whether
     * any of it was new: a slot it had not touched that way, or one it touched with fewer locks.
     */
    boolean learn(int t, Footprint f, int[] held) {
        if (known(readLocks[t], f.reads(), held) && known(writeLocks[t], f.writes(), held)) {
            return false;
        }
        synchronized (this) {
            if (known(readLocks[t], f.reads(), held) && known(writeLocks[t], f.writes(), held)) {
                return false;
            }
            version++; // odd: changing
            // A decision relied on t never reading (writing) a slot other than as it has, under the locks it did.
            for (int s : f.reads()) {
                if (!known(readLocks[t], s, held) && has(reliedWrites[t], s)) {
                    contradicted = true;
                }
            }
            for (int s : f.writes()) {
                if (!known(writeLocks[t], s, held) && (has(reliedReads[t], s) || has(reliedWrites[t], s))) {
                    contradicted = true;
                }
            }
            readLocks[t] = withLocks(readLocks[t], f.reads(), held);
            writeLocks[t] = withLocks(writeLocks[t], f.writes(), held);
            version++;
        }
        return true;
    }

    /** Records slots thread {@code t} read outside a step (its next step's guard), holding {@code held}. */
    void learnReads(int t, IntList slots, int[] held) {
        int[][] locks = readLocks[t];
        boolean known = true;
        for (int i = 0; i < slots.size() && known; i++) {
            known = known(locks, slots.getInt(i), held);
        }
        if (!known) {
            learn(t, new Footprint(slots.toIntArray(), new int[0]), held);
        }
    }

    private static boolean known(int[][] locks, int[] slots, int[] held) {
        for (int s : slots) {
            if (!known(locks, s, held)) {
                return false;
            }
        }
        return true;
    }

    /** Whether an access to {@code s} holding {@code held} is one the summary has: touched, and under no more locks than that. */
    private static boolean known(int[][] locks, int s, int[] held) {
        int[] set = s < locks.length ? locks[s] : null;
        return set != null && (set.length == 0 || Lockset.within(set, held));
    }


    /**
     * Whether the thread of {@code locks} accessed {@code s} in a way that holding {@code held} does
     * not keep out: at all, or once without a lock {@code held} excludes it from. Read without the
     * monitor; {@link #isLocal} rechecks the version afterwards.
     */
    private static boolean conflicts(int[] held, int[][] locks, int s) {
        int[] set = s < locks.length ? locks[s] : null;
        return set != null && (set.length == 0 || !Lockset.excludes(held, set));
    }

    /** The locksets with an access to each of {@code slots} holding {@code held} added (a new array). */
    private static int[][] withLocks(int[][] locks, int[] slots, int[] held) {
        int max = locks.length;
        for (int s : slots) {
            max = Math.max(max, s + 1);
        }
        int[][] out = Arrays.copyOf(locks, max);
        for (int s : slots) {
            out[s] = out[s] != null ? Lockset.intersect(out[s], held) : held;
        }
        return out;
    }

    /** Records the slots a step check read; returns whether any was new. */
    boolean learnVisible(IntList slots) {
        long[] v = visible;
        boolean known = true;
        for (int i = 0; i < slots.size() && known; i++) {
            known = has(v, slots.getInt(i));
        }
        if (known) {
            return false;
        }
        synchronized (this) {
            version++;
            int[] a = slots.toIntArray();
            for (int s : a) {
                if (!has(visible, s) && has(reliedVisible, s)) {
                    contradicted = true;
                }
            }
            visible = with(visible, a);
            version++;
        }
        return true;
    }

    /**
     * Whether thread {@code t}'s step with footprint {@code f} is local, the threads in
     * {@code alive} being unfinished. A yes is remembered with what it relied on.
     */
    boolean isLocal(int t, Footprint f, long alive, int[] held) {
        long v0 = version;
        if ((v0 & 1) != 0 || !local(t, f, alive, held)) {
            return false;
        }
        rely(t, f, alive);
        return version == v0; // else the summary changed meanwhile: no, which is always sound
    }

    private boolean local(int t, Footprint f, long alive, int[] held) {
        int[] fr = f.reads();
        int[] fw = f.writes();
        long[] v = visible;
        for (int s : fw) {
            if (has(v, s)) {
                return false;
            }
        }
        for (int u = 0; u < n; u++) {
            if (u == t || (alive & (1L << u)) == 0) {
                continue;
            }
            int[][] url = readLocks[u];
            int[][] uwl = writeLocks[u];
            for (int s : fr) {
                if (conflicts(held, uwl, s)) {
                    return false;
                }
            }
            for (int s : fw) {
                if (conflicts(held, uwl, s) || conflicts(held, url, s)) {
                    return false;
                }
            }
        }
        return true;
    }

    private void rely(int t, Footprint f, long alive) {
        boolean known = covers(reliedVisible, f.writes());
        for (int u = 0; u < n && known; u++) {
            if (u != t && (alive & (1L << u)) != 0) {
                known = covers(reliedReads[u], f.reads()) && covers(reliedWrites[u], f.writes());
            }
        }
        if (known) {
            return;
        }
        synchronized (this) {
            reliedVisible = with(reliedVisible, f.writes());
            for (int u = 0; u < n; u++) {
                if (u != t && (alive & (1L << u)) != 0) {
                    reliedReads[u] = with(reliedReads[u], f.reads());
                    reliedWrites[u] = with(reliedWrites[u], f.writes());
                }
            }
        }
    }

    private static boolean covers(long[] bits, int[] slots) {
        for (int s : slots) {
            if (!has(bits, s)) {
                return false;
            }
        }
        return true;
    }

    private static boolean has(long[] bits, int s) {
        int w = s >>> 6;
        return w < bits.length && (bits[w] & (1L << s)) != 0;
    }

    /** bits with the slots added: bits itself if it has them all. */
    private static long[] with(long[] bits, int[] slots) {
        if (covers(bits, slots)) {
            return bits;
        }
        int max = bits.length;
        for (int s : slots) {
            max = Math.max(max, (s >>> 6) + 1);
        }
        long[] out = Arrays.copyOf(bits, max);
        for (int s : slots) {
            out[s >>> 6] |= 1L << s;
        }
        return out;
    }
}
