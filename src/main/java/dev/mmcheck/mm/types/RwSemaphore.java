package dev.mmcheck.mm.types;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;
import dev.mmcheck.mm.lockdep.Acquisition;
import dev.mmcheck.mm.lockdep.LockClass;
import dev.mmcheck.mm.lockdep.Mode;

/**
 * rw_semaphore: a slot holding the writing CPU + 1 (0: no writer), and one slot per CPU counting
 * the read holds that CPU has (the kernel keeps one count; the sum is the same). With a count per
 * CPU, two readers taking or dropping the lock touch different slots, so their steps commute, as
 * they do in the kernel, where neither can tell which came first. Waiters are not queued: a reader
 * is not held back by a waiting writer (the kernel's writer preference only removes interleavings).
 */
public final class RwSemaphore {
    private final Kernel k;
    public final String name;
    /** The writer: its CPU + 1, or 0. */
    public final int slot;
    /** Per CPU (the set-up pseudo-CPU last): how many read holds it has. */
    public final int[] readers;
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
        this.readers = new int[k.cpus + 1];
        for (int c = 0; c < readers.length; c++) {
            readers[c] = k.layout.alloc(name + ".readers[" + c + "]");
            k.layout.lockState(readers[c]);
        }
        k.register(this);
        this.cls = cls;
        this.read = new Acquisition(this, name, cls, Mode.READ, false, slot);
        this.readTry = new Acquisition(this, name, cls, Mode.READ, true, slot);
        this.write = new Acquisition(this, name, cls, Mode.WRITE, false, slot);
    }

    public void downRead() {
        k.lockdep.mightSleep(read);
        int mine = readers[k.cpu()];
        k.acquire(read, "down_read(" + name + ")", m -> m.read(slot) == 0, m -> {
            m.write(mine, m.read(mine) + 1);
            m.acquired(slot, true);
            return 0;
        }, null);
        k.lockdep.acquired(read);
    }

    /** Returns whether the read lock was taken. */
    public boolean downReadTrylock() {
        int mine = readers[k.cpu()];
        boolean taken = k.acquire(readTry, "down_read_trylock(" + name + ")", null, m -> {
            if (m.read(slot) != 0) {
                return 0;
            }
            m.write(mine, m.read(mine) + 1);
            m.acquired(slot, true);
            return 1;
        }, r -> r == 1 ? "taken" : "busy") == 1;
        if (taken) {
            k.lockdep.acquired(readTry);
        }
        return taken;
    }

    public void upRead() {
        int cpu = k.cpu();
        int mine = readers[cpu];
        k.step("up_read(" + name + ")", null, m -> {
            long v = m.read(mine);
            if (v == 0) {
                m.violate(Kinds.BUG_ON, "up_read(" + name + ") by CPU" + cpu + ", which holds no read lock on it");
                return 0;
            }
            m.write(mine, v - 1);
            m.released(slot);
            return 0;
        });
        k.lockdep.released(this);
    }

    public void downWrite() {
        k.lockdep.mightSleep(write);
        long me = k.cpu() + 1;
        k.acquire(write, "down_write(" + name + ")", m -> m.read(slot) == 0 && readerCount(m) == 0, m -> {
            m.write(slot, me);
            m.acquired(slot, false);
            return 0;
        }, null);
        k.lockdep.acquired(write);
    }

    public void upWrite() {
        long me = k.cpu() + 1;
        k.step("up_write(" + name + ")", null, m -> {
            if (m.read(slot) != me) {
                m.violate(Kinds.BUG_ON, "up_write(" + name + ") by CPU" + (me - 1) + ", which does not hold it");
            } else {
                m.released(slot);
            }
            m.write(slot, 0);
            return 0;
        });
        k.lockdep.released(this);
    }

    private long readerCount(Memory m) {
        long n = 0;
        for (int r : readers) {
            n += m.read(r);
        }
        return n;
    }

    /** Whether anyone holds it (peeked: for the checks once every CPU has finished). */
    public boolean isHeld(Memory m) {
        if (m.peek(slot) != 0) {
            return true;
        }
        for (int r : readers) {
            if (m.peek(r) != 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return name;
    }
}
