package dev.mmcheck.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The visited table against a plain map: what visit and complete return, and what it stores. */
class VisitedSetTest {

    /** One call: visit (or complete) a key, with a sleep set. */
    record Call(boolean complete, long key, long sleep) {}

    @Provide
    Arbitrary<List<Call>> calls() {
        // Few distinct keys, so that keys come back; 0 and keys sharing a segment included.
        Arbitrary<Long> keys = Arbitraries.oneOf(Arbitraries.longs().between(0, 40), Arbitraries.longs().between(0, 40).map(k -> k << 58),
                Arbitraries.longs());
        Arbitrary<Call> call = net.jqwik.api.Combinators.combine(Arbitraries.of(true, false), keys, Arbitraries.longs().between(0, 0x7fff))
                .as(Call::new);
        return call.list().ofMaxSize(400);
    }

    @Property(tries = 300)
    void behavesLikeAMap(@ForAll("calls") List<Call> calls, @ForAll boolean wide) {
        VisitedSet set = new VisitedSet(wide ? 20 : 3, false);
        long done = wide ? Long.MIN_VALUE : 0x8000L;
        Map<Long, Long> model = new HashMap<>();
        for (Call c : calls) {
            Long old = model.get(c.key());
            if (c.complete()) {
                set.complete(c.key(), c.sleep());
                if (old != null) {
                    model.put(c.key(), (old & c.sleep()) | done);
                }
            } else {
                long r = set.visit(c.key(), c.sleep());
                if (old == null) {
                    assertThat(r).isEqualTo(-1L);
                    model.put(c.key(), c.sleep());
                } else if ((old & done) == 0) {
                    assertThat(r).isEqualTo(VisitedSet.IN_PROGRESS);
                } else {
                    assertThat(r).isEqualTo(old & ~done);
                    model.put(c.key(), (old & c.sleep()) | done);
                }
            }
        }
        assertThat(set.size()).isEqualTo(model.size());
    }

    @Test
    void millionsOfStatesStayWithinSixteenBytesEach() {
        VisitedSet set = new VisitedSet(4, true);
        long n = 3_000_000;
        for (long i = 1; i <= n; i++) {
            assertThat(set.visit(Hash.mix(i), 5)).isEqualTo(-1L);
        }
        for (long i = 1; i <= n; i += 997) {
            assertThat(set.visit(Hash.mix(i), 3)).isEqualTo(5L); // alone: complete as soon as entered
            assertThat(set.visit(Hash.mix(i), 1)).isEqualTo(1L);
        }
        assertThat(set.size()).isEqualTo(n);
        assertThat((double) set.bytes() / n).isLessThanOrEqualTo(16.0);
    }
}
