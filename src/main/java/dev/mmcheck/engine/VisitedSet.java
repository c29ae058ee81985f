package dev.mmcheck.engine;

/**
 * The states already explored: 64-bit fingerprints, each with the sleep set it was first explored
 * with. Open addressing in independently locked segments, so several explorers can share it; a
 * sleep set takes 2 bytes (up to 15 threads) or 8, so a slot costs 10 or 16 bytes; segments grow by
 * half when 4/5 full, so a state costs 12.5 to 19 bytes (10-byte slots). The top bit of a sleep set
 * says the state's exploration is complete: explorers sharing the table prune only complete states.
 */
final class VisitedSet {
    private static final int SEGMENTS = 64;
    private static final long EMPTY = 0;
    private static final long ZERO_KEY = 0x9e3779b97f4a7c15L; // fingerprint 0 is stored as this

    private final Segment[] segments = new Segment[SEGMENTS];
    private final boolean wideMasks;

    static final long IN_PROGRESS = -2;

    VisitedSet(int threads) {
        this.wideMasks = threads > 15;
        for (int i = 0; i < SEGMENTS; i++) {
            segments[i] = new Segment();
        }
    }

    /** Bytes one slot of the table takes. */
    int slotBytes() {
        return wideMasks ? 16 : 10;
    }

    private final class Segment {
        long[] keys = new long[1024];
        short[] small = wideMasks ? null : new short[1024];
        long[] wide = wideMasks ? new long[1024] : null;
        int size;

        long mask(int i) {
            return wideMasks ? wide[i] : small[i] & 0xffffL;
        }

        void setMask(int i, long m) {
            if (wideMasks) {
                wide[i] = m;
            } else {
                small[i] = (short) m;
            }
        }

        int find(long key) {
            int cap = keys.length;
            int i = (int) Long.remainderUnsigned(Hash.mix(key), cap);
            while (keys[i] != EMPTY && keys[i] != key) {
                i = i + 1 == cap ? 0 : i + 1;
            }
            return i;
        }

        void grow() {
            long[] oldKeys = keys;
            short[] oldSmall = small;
            long[] oldWide = wide;
            int cap = oldKeys.length + oldKeys.length / 2;
            keys = new long[cap];
            small = wideMasks ? null : new short[cap];
            wide = wideMasks ? new long[cap] : null;
            for (int j = 0; j < oldKeys.length; j++) {
                if (oldKeys[j] != EMPTY) {
                    int i = find(oldKeys[j]);
                    keys[i] = oldKeys[j];
                    setMask(i, wideMasks ? oldWide[j] : oldSmall[j] & 0xffffL);
                }
            }
        }
    }

    private Segment segment(long key) {
        return segments[(int) (key >>> 58) & (SEGMENTS - 1)];
    }

    private long doneBit() {
        return wideMasks ? Long.MIN_VALUE : 0x8000L;
    }

    /**
     * Visits a state with sleep set {@code sleep}: returns -1 if it is new (recorded as in progress
     * with this sleep set), {@link #IN_PROGRESS} if another explorer is still exploring it, otherwise
     * the sleep set it was completed with, replaced by the intersection of both.
     */
    long visit(long key, long sleep) {
        if (key == EMPTY) {
            key = ZERO_KEY;
        }
        Segment s = segment(key);
        synchronized (s) {
            int i = s.find(key);
            if (s.keys[i] == key) {
                long old = s.mask(i);
                if ((old & doneBit()) == 0) {
                    return IN_PROGRESS;
                }
                s.setMask(i, (old & sleep) | doneBit());
                return old & ~doneBit();
            }
            s.keys[i] = key;
            s.setMask(i, sleep);
            if (++s.size * 5L > s.keys.length * 4L) {
                s.grow();
            }
            return -1;
        }
    }

    /** The exploration of a state is complete: its sleep set is intersected with {@code sleep}, and it may be pruned. */
    void complete(long key, long sleep) {
        if (key == EMPTY) {
            key = ZERO_KEY;
        }
        Segment s = segment(key);
        synchronized (s) {
            int i = s.find(key);
            if (s.keys[i] == key) {
                s.setMask(i, (s.mask(i) & sleep) | doneBit());
            }
        }
    }

    long size() {
        long n = 0;
        for (Segment s : segments) {
            synchronized (s) {
                n += s.size;
            }
        }
        return n;
    }

    /** The bytes the table holds now. */
    long bytes() {
        long b = 0;
        for (Segment s : segments) {
            synchronized (s) {
                b += (long) s.keys.length * slotBytes();
            }
        }
        return b;
    }
}
