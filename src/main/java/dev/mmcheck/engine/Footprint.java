package dev.mmcheck.engine;

/** The slots one executed step read and wrote; two steps commute unless their footprints conflict. */
public record Footprint(int[] reads, int[] writes) {

    /** The footprint of this step and {@code o} together. */
    Footprint with(Footprint o) {
        int[] r = java.util.Arrays.copyOf(reads, reads.length + o.reads.length);
        System.arraycopy(o.reads, 0, r, reads.length, o.reads.length);
        int[] w = java.util.Arrays.copyOf(writes, writes.length + o.writes.length);
        System.arraycopy(o.writes, 0, w, writes.length, o.writes.length);
        return new Footprint(r, w);
    }

    public boolean conflictsWith(Footprint o) {
        return intersects(writes, o.writes) || intersects(writes, o.reads) || intersects(reads, o.writes);
    }

    private static boolean intersects(int[] a, int[] b) {
        for (int x : a) {
            for (int y : b) {
                if (x == y) {
                    return true;
                }
            }
        }
        return false;
    }
}
