package dev.mmcheck.engine;

import it.unimi.dsi.fastutil.ints.IntList;
import java.util.Arrays;

/**
 * Which slots each thread has been seen to read and write, and which the step checks read: the
 * assumptions behind local steps.
 *
 * <p>A step is local when no other thread unfinished writes what the step reads or touches what it
 * writes, and no step check reads what it writes. A local step commutes with everything the other
 * threads can still do and changes nothing a check sees, so {the step} is a persistent set: the
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
    // Per thread, a bit per slot. Arrays are replaced, never changed in place.
    private final long[][] reads;
    private final long[][] writes;
    private long[] visible = new long[0];
    // Per thread: slots local steps of other threads read (this thread must never write them) and
    // wrote (it must never touch them); and slots local steps wrote (no check may read them).
    private final long[][] reliedReads;
    private final long[][] reliedWrites;
    private long[] reliedVisible = new long[0];
    /** Odd while the summary is being changed; a decision that saw it change is not taken. */
    private volatile long version;
    private volatile boolean contradicted;

    AccessSummary(int threads) {
        this.n = threads;
        this.reads = new long[threads][0];
        this.writes = new long[threads][0];
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

    /** Records what thread {@code t}'s step touched; returns whether any of it was new. */
    boolean learn(int t, Footprint f) {
        if (covers(reads[t], f.reads()) && covers(writes[t], f.writes())) {
            return false;
        }
        synchronized (this) {
            if (covers(reads[t], f.reads()) && covers(writes[t], f.writes())) {
                return false;
            }
            version++; // odd: changing
            for (int s : f.reads()) {
                if (!has(reads[t], s) && has(reliedWrites[t], s)) {
                    contradicted = true;
                }
            }
            for (int s : f.writes()) {
                if (!has(writes[t], s) && (has(reliedReads[t], s) || has(reliedWrites[t], s))) {
                    contradicted = true;
                }
            }
            reads[t] = with(reads[t], f.reads());
            writes[t] = with(writes[t], f.writes());
            version++;
        }
        return true;
    }

    /** Records slots thread {@code t} read outside a step (its next step's guard). */
    void learnReads(int t, IntList slots) {
        long[] r = reads[t];
        boolean known = true;
        for (int i = 0; i < slots.size() && known; i++) {
            known = has(r, slots.getInt(i));
        }
        if (!known) {
            learn(t, new Footprint(slots.toIntArray(), new int[0]));
        }
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
    boolean isLocal(int t, Footprint f, long alive) {
        long v0 = version;
        if ((v0 & 1) != 0 || !local(t, f, alive)) {
            return false;
        }
        rely(t, f, alive);
        return version == v0; // else the summary changed meanwhile: no, which is always sound
    }

    private boolean local(int t, Footprint f, long alive) {
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
            long[] ur = reads[u];
            long[] uw = writes[u];
            for (int s : fr) {
                if (has(uw, s)) {
                    return false;
                }
            }
            for (int s : fw) {
                if (has(uw, s) || has(ur, s)) {
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
