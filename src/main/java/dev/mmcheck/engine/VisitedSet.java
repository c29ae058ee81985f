package dev.mmcheck.engine;

/**
 * The states already explored: 64-bit fingerprints, each with the sleep set it was first explored
 * with. The top bit of a sleep set says the state's exploration is complete: explorers sharing the
 * table prune only complete states.
 *
 * <p>Open addressing in independently locked segments, so several explorers can share it. A
 * segment is one {@code long[]} of buckets of four states: four fingerprints, then their sleep
 * sets, 2 bytes each packed in one long (up to 15 threads), or 8 bytes each in four longs. A lookup
 * reads one bucket, rarely two: about one cache miss, where separate key and mask arrays cost two.
 * Buckets stay usable up to 7/8 full, and a segment grows by 40% then, so a state costs 11.4 to
 * 16 bytes (2-byte sleep sets).
 */
final class VisitedSet {
    private static final int SEGMENTS = 64;
    private static final long EMPTY = 0;
    private static final long ZERO_KEY = 0x9e3779b97f4a7c15L; // fingerprint 0 is stored as this
    private static final int PER_BUCKET = 4;

    private final Segment[] segments = new Segment[SEGMENTS];
    private final boolean wideMasks;
    /**
     * One explorer only: a state is marked complete when it is entered (nobody else can meet it
     * while it is in progress, the state graph having no cycles), and {@link #complete} does nothing,
     * saving a lookup per state.
     */
    private final boolean alone;
    /** Longs per bucket: four keys, then one packed mask word or four masks. */
    private final int stride;

    static final long IN_PROGRESS = -2;

    VisitedSet(int threads, boolean alone) {
        this.alone = alone;
        this.wideMasks = threads > 15;
        this.stride = wideMasks ? 2 * PER_BUCKET : PER_BUCKET + 1;
        for (int i = 0; i < SEGMENTS; i++) {
            segments[i] = new Segment(32);
        }
    }

    private final class Segment {
        long[] table;
        int buckets;
        int size;

        Segment(int buckets) {
            this.buckets = buckets;
            this.table = new long[buckets * stride];
        }

        /** Where {@code key} is, or the free place it would take: bucket * 4 + place in the bucket. */
        int find(long key) {
            int b = (int) Math.unsignedMultiplyHigh(Hash.mix(key), buckets);
            while (true) {
                int base = b * stride;
                for (int j = 0; j < PER_BUCKET; j++) {
                    long k = table[base + j];
                    if (k == key || k == EMPTY) {
                        return b * PER_BUCKET + j;
                    }
                }
                b = b + 1 == buckets ? 0 : b + 1;
            }
        }

        long key(int i) {
            return table[(i / PER_BUCKET) * stride + i % PER_BUCKET];
        }

        long mask(int i) {
            int base = (i / PER_BUCKET) * stride + PER_BUCKET;
            int j = i % PER_BUCKET;
            return wideMasks ? table[base + j] : (table[base] >>> (16 * j)) & 0xffffL;
        }

        void set(int i, long key, long mask) {
            int base = (i / PER_BUCKET) * stride;
            int j = i % PER_BUCKET;
            table[base + j] = key;
            setMask(i, mask);
        }

        void setMask(int i, long m) {
            int base = (i / PER_BUCKET) * stride + PER_BUCKET;
            int j = i % PER_BUCKET;
            if (wideMasks) {
                table[base + j] = m;
            } else {
                int shift = 16 * j;
                table[base] = (table[base] & ~(0xffffL << shift)) | ((m & 0xffffL) << shift);
            }
        }

        void grow() {
            Segment bigger = new Segment(buckets + buckets * 2 / 5);
            for (int i = 0; i < buckets * PER_BUCKET; i++) {
                long k = key(i);
                if (k != EMPTY) {
                    bigger.set(bigger.find(k), k, mask(i));
                }
            }
            table = bigger.table;
            buckets = bigger.buckets;
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
        return visit(key, sleep, false);
    }

    /**
     * As {@link #visit}, but with {@code shareInProgress} a state another explorer is still
     * exploring is taken as explored by it: the caller explores only the steps that were asleep
     * for that explorer and are awake for it (the other explores the rest, to the end).
     */
    long visit(long key, long sleep, boolean shareInProgress) {
        if (key == EMPTY) {
            key = ZERO_KEY;
        }
        Segment s = segment(key);
        synchronized (s) {
            int i = s.find(key);
            if (s.key(i) == key) {
                long old = s.mask(i);
                if ((old & doneBit()) == 0) {
                    if (!shareInProgress) {
                        return IN_PROGRESS;
                    }
                    s.setMask(i, old & sleep);
                    return old;
                }
                s.setMask(i, (old & sleep) | doneBit());
                return old & ~doneBit();
            }
            s.set(i, key, alone ? sleep | doneBit() : sleep);
            if (++s.size * 8L > (long) s.buckets * PER_BUCKET * 7) {
                s.grow();
            }
            return -1;
        }
    }

    /** The exploration of a state is complete: its sleep set is intersected with {@code sleep}, and it may be pruned. */
    void complete(long key, long sleep) {
        if (alone) {
            return; // marked complete on entry; the caller completes it with the sleep set it entered with
        }
        if (key == EMPTY) {
            key = ZERO_KEY;
        }
        Segment s = segment(key);
        synchronized (s) {
            int i = s.find(key);
            if (s.key(i) == key) {
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
                b += (long) s.table.length * 8;
            }
        }
        return b;
    }
}
