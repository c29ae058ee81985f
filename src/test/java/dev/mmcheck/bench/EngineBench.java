package dev.mmcheck.bench;

import dev.mmcheck.engine.Explorer;
import dev.mmcheck.engine.Options;
import dev.mmcheck.engine.Result;
import dev.mmcheck.scenario.Catalog;
import dev.mmcheck.scenario.ScenarioProgram;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The engine's hot paths, and the design alternative it was chosen over: resuming a model thread
 * through its memoized history tree versus handing control to a parked virtual thread. The visited
 * table has its own benchmark (dev.mmcheck.engine.VisitedSetBench, in the engine's package, as
 * the table is not public), and so has the scheduling step ({@code dev.mmcheck.engine.StepBench}).
 * Run with scripts/jmh.
 */
public class EngineBench extends BenchSettings {
    private ScenarioProgram s003;
    private SynchronousQueue<Integer> ping;
    private SynchronousQueue<Integer> pong;
    private Thread partner;

    @Setup(Level.Trial)
    public void setup() {
        s003 = ScenarioProgram.build(Catalog.builtin("s003-mremap-pmd"), "after");
        ping = new SynchronousQueue<>();
        pong = new SynchronousQueue<>();
        partner = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    pong.put(ping.take() + 1);
                }
            } catch (InterruptedException e) {
                // done
            }
        });
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        partner.interrupt();
    }

    /** A whole exhaustive check of s003-mremap-pmd --variant after, learning before the search included (640 states stored, 4,974 steps on 2026-12-07). */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Result exploreS003() {
        return new Explorer(s003.program, Options.exhaustive()).run();
    }

    /** The alternative design: one scheduling point as a round trip to a virtual thread (two hand-offs). */
    @Benchmark
    public int virtualThreadRoundTrip() throws InterruptedException {
        ping.put(1);
        return pong.take();
    }
}
