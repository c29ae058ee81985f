package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;
import dev.mmcheck.mm.lockdep.Acquisition;
import dev.mmcheck.mm.lockdep.LockClass;
import dev.mmcheck.mm.lockdep.Mode;

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
    /** Its lockdep class: every mm's mmap_lock is one class. */
    public final LockClass cls;
    private final Acquisition read;
    private final Acquisition readTry;
    private final Acquisition write;

    public RwSemaphore(Kernel k, String name) {
        this(k, name, LockClass.ofRwsem(name));
    }

    public RwSemaphore(Kernel k, String name, LockClass cls) {
        this.k = k;
        this.name = name;
        this.slot = k.layout.alloc(name);
        k.register(this);
        this.cls = cls;
        this.read = new Acquisition(this, name, cls, Mode.READ, false);
        this.readTry = new Acquisition(this, name, cls, Mode.READ, true);
        this.write = new Acquisition(this, name, cls, Mode.WRITE, false);
    }

    public void downRead() {
        k.lockdep.mightSleep(read);
        k.acquire(read, "down_read(" + name + ")", m -> writer(m.read(slot)) == 0, m -> {
            m.write(slot, m.read(slot) + 1);
            m.acquired(slot, true);
            return 0;
        }, null);
        k.lockdep.acquired(read);
    }

    /** Returns whether the read lock was taken. */
    public boolean downReadTrylock() {
        boolean taken = k.acquire(readTry, "down_read_trylock(" + name + ")", null, m -> {
            long v = m.read(slot);
            if (writer(v) != 0) {
                return 0;
            }
            m.write(slot, v + 1);
            m.acquired(slot, true);
            return 1;
        }, r -> r == 1 ? "taken" : "busy") == 1;
        if (taken) {
            k.lockdep.acquired(readTry);
        }
        return taken;
    }

    public void upRead() {
        boolean mine = k.held().contains(this); // an unbalanced up_read releases someone else's hold
        k.step("up_read(" + name + ")", null, m -> {
            long v = m.read(slot);
            if ((v & 0xffff) == 0) {
                m.violate(Kinds.BUG_ON, "up_read(" + name + ") without a reader");
                return 0;
            }
            m.write(slot, v - 1);
            if (mine) {
                m.released(slot);
            }
            return 0;
        });
        k.lockdep.released(this);
    }

    public void downWrite() {
        k.lockdep.mightSleep(write);
        long me = k.cpu() + 1;
        k.acquire(write, "down_write(" + name + ")", m -> m.read(slot) == 0, m -> {
            m.write(slot, me << WRITER_SHIFT);
            m.acquired(slot, false);
            return 0;
        }, null);
        k.lockdep.acquired(write);
    }

    public void upWrite() {
        long me = k.cpu() + 1;
        k.step("up_write(" + name + ")", null, m -> {
            if (writer(m.read(slot)) != me) {
                m.violate(Kinds.BUG_ON, "up_write(" + name + ") by CPU" + (me - 1) + ", which does not hold it");
            } else {
                m.released(slot);
            }
            m.write(slot, 0);
            return 0;
        });
        k.lockdep.released(this);
    }

    static long writer(long v) {
        return v >>> WRITER_SHIFT;
    }

    @Override
    public String toString() {
        return name;
    }
}
