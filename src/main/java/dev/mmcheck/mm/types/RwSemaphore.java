package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;

/**
 * rw_semaphore: one slot; the low 16 bits count readers, the bits above hold the writing CPU + 1.
 * Waiters are not queued: a reader is not held back by a waiting writer (the kernel's writer
 * preference only removes interleavings).
 */
public final class RwSemaphore {
    private static final int WRITER_SHIFT = 16;
    private final Kernel k;
    public final String name;
    public final int slot;

    public RwSemaphore(Kernel k, String name) {
        this.k = k;
        this.name = name;
        this.slot = k.layout.alloc(name);
        k.register(this);
    }

    public void downRead() {
        k.step("down_read(" + name + ")", m -> writer(m.read(slot)) == 0, m -> {
            m.write(slot, m.read(slot) + 1);
            return 0;
        });
        k.acquired(this);
    }

    /** Returns whether the read lock was taken. */
    public boolean downReadTrylock() {
        boolean taken = k.load("down_read_trylock(" + name + ")", m -> {
            long v = m.read(slot);
            if (writer(v) != 0) {
                return 0;
            }
            m.write(slot, v + 1);
            return 1;
        }, r -> r == 1 ? "taken" : "busy") == 1;
        if (taken) {
            k.acquired(this);
        }
        return taken;
    }

    public void upRead() {
        k.step("up_read(" + name + ")", null, m -> {
            long v = m.read(slot);
            if ((v & 0xffff) == 0) {
                m.violate(Kinds.BUG_ON, "up_read(" + name + ") without a reader");
                return 0;
            }
            m.write(slot, v - 1);
            return 0;
        });
        k.released(this);
    }

    public void downWrite() {
        long me = k.cpu() + 1;
        k.step("down_write(" + name + ")", m -> m.read(slot) == 0, m -> {
            m.write(slot, me << WRITER_SHIFT);
            return 0;
        });
        k.acquired(this);
    }

    public void upWrite() {
        long me = k.cpu() + 1;
        k.step("up_write(" + name + ")", null, m -> {
            if (writer(m.read(slot)) != me) {
                m.violate(Kinds.BUG_ON, "up_write(" + name + ") by CPU" + (me - 1) + ", which does not hold it");
            }
            m.write(slot, 0);
            return 0;
        });
        k.released(this);
    }

    static long writer(long v) {
        return v >>> WRITER_SHIFT;
    }

    @Override
    public String toString() {
        return name;
    }
}
