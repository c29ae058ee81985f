package dev.mmcheck.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmcheck.live.LiveOp.MapFlag;
import dev.mmcheck.live.LiveOp.Prot;
import org.junit.jupiter.api.Test;

/** Program construction and validation; needs no kernel access. */
class LiveProgramTest {
    @Test
    void stepsDescribeThemselves() {
        LiveProgram p = LiveProgram.builder()
                .file("f", 2)
                .mmapAnon(0, "A", 0, 4, Prot.READ_WRITE, false, MapFlag.POPULATE, MapFlag.LOCKED)
                .mmapFile(0, "F", 8, 2, Prot.READ, true, "f", 0)
                .mlock(0, Range.pages("A", 1, 2))
                .mlock(0, Range.bytes("A", 100, 4096))
                .write(0, "A", 3)
                .fork(0)
                .exit(1)
                .observe("x")
                .build();
        assertThat(p.ops()).extracting(LiveOp::describe).containsExactly(
                "P0 mmap A=base+0 4p rw- private anon locked|populate",
                "P0 mmap F=base+8p 2p r-- shared file f+0",
                "P0 mlock A[p1+2p]",
                "P0 mlock A[+100, 1p]",
                "P0 write A[p3]",
                "P0 fork",
                "P1 exit",
                "observe x");
        assertThat(p.processCount()).isEqualTo(2);
    }

    @Test
    void unknownProcessesRegionsAndFilesAreRejected() {
        assertThatThrownBy(() -> LiveProgram.builder().write(0, "A", 0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no region A");
        assertThatThrownBy(() -> LiveProgram.builder().mmapAnon(1, "A", 0, 1, Prot.READ, false).build())
                .hasMessageContaining("process 1 does not exist");
        assertThatThrownBy(() -> LiveProgram.builder().mmapAnon(0, "A", 0, 1, Prot.READ, false).exit(0).write(0, "A", 0).build())
                .hasMessageContaining("process 0 does not exist");
        assertThatThrownBy(() -> LiveProgram.builder().mmapFile(0, "F", 0, 1, Prot.READ, true, "nope", 0).build())
                .hasMessageContaining("undeclared file nope");
        // a fork copies the region names; later regions stay private to their process
        LiveProgram.builder().mmapAnon(0, "A", 0, 1, Prot.READ, false).fork(0).write(1, "A", 0).build();
        assertThatThrownBy(() -> LiveProgram.builder().fork(0).mmapAnon(0, "A", 0, 1, Prot.READ, false).write(1, "A", 0).build())
                .hasMessageContaining("no region A");
    }
}
