package dev.mmcheck.engine;

/** The slots one executed step read and wrote; two steps commute unless their footprints conflict. */
public record Footprint(int[] reads, int[] writes) {

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
