package dev.mmcheck.engine;

/**
 * Where each thread of a state is: the depth of its node in its code ({@link PathNode#depth}) and
 * the locks its path has taken so far ({@link Taken}). What the access summary weighs another
 * thread's accesses against: the past is behind the depth, and a lock the path has not taken since
 * the depth every access needs it taken at is still ahead. Filled per state and reused.
 */
final class Where {
    final long[] depths;
    final Taken[] taken;

    Where(int threads) {
        this.depths = new long[threads];
        this.taken = new Taken[threads];
        java.util.Arrays.fill(taken, Taken.NONE);
    }

    /** For tests: the threads at {@code depths}, having taken {@code taken}. */
    static Where of(long[] depths, Taken... taken) {
        Where w = new Where(depths.length);
        System.arraycopy(depths, 0, w.depths, 0, depths.length);
        System.arraycopy(taken, 0, w.taken, 0, taken.length);
        return w;
    }
}
