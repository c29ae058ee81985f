package dev.mmcheck.engine;

import dev.mmcheck.bench.BenchSettings;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;

/**
 * The visited table's hot path: entering a new state, for a lone explorer (one lookup) and for
 * explorers sharing the table (a lookup on entry and one on completion). The table is refilled
 * from empty every 8 M states, so the figure covers its growth too. Run with scripts/jmh.
 */
public class VisitedSetBench extends BenchSettings {
    private static final long REFILL = 8_000_000;
    private VisitedSet lone;
    private VisitedSet shared;
    private long loneKeys;
    private long sharedKeys;

    @Setup(Level.Trial)
    public void setup() {
        lone = new VisitedSet(4, true);
        shared = new VisitedSet(4, false);
    }

    /** A new state entered by a lone explorer. */
    @Benchmark
    public long enterAlone() {
        if (++loneKeys % REFILL == 0) {
            lone = new VisitedSet(4, true);
        }
        return lone.visit(Hash.mix(loneKeys), 3L);
    }

    /** A new state entered and completed by explorers sharing the table. */
    @Benchmark
    public long enterAndCompleteShared() {
        if (++sharedKeys % REFILL == 0) {
            shared = new VisitedSet(4, false);
        }
        long key = Hash.mix(sharedKeys);
        long r = shared.visit(key, 3L);
        shared.complete(key, 3L);
        return r;
    }
}
