package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;
import dev.mmcheck.mm.lockdep.Acquisition;
import dev.mmcheck.mm.lockdep.LockClass;
import dev.mmcheck.mm.lockdep.Mode;

/** spinlock_t: one slot holding the owning CPU + 1, or 0 when free. */
public final class SpinLock {
    private final Kernel k;
    public final String name;
    public final int slot;
    /** Its lockdep class: every pte lock is one class, every mm's page_table_lock another. */
    public final LockClass cls;
    private final Acquisition acquisition;

    /** Slot that is 1 while the object holding this lock is allocated, or -1. */
    private final int aliveSlot;

    public SpinLock(Kernel k, String name) {
        this(k, name, -1, LockClass.ofSpinLock(name));
    }

    /** A lock inside an object that can be freed (a page-table page): touching it then is a use after free. */
    public SpinLock(Kernel k, String name, int aliveSlot) {
        this(k, name, aliveSlot, LockClass.ofSpinLock(name));
    }

    public SpinLock(Kernel k, String name, int aliveSlot, LockClass cls) {
        this.k = k;
        this.name = name;
        this.slot = k.layout.alloc(name);
        k.register(this);
        this.aliveSlot = aliveSlot;
        this.cls = cls;
        this.acquisition = new Acquisition(this, name, cls, Mode.EXCLUSIVE, false, slot);
    }

    public void lock() {
        long me = k.cpu() + 1;
        k.acquire(acquisition, "spin_lock(" + name + ")", m -> m.read(slot) == 0, m -> {
            checkAlive(m);
            m.write(slot, me);
            m.acquired(slot, false);
            return 0;
        }, null);
        k.lockdep.acquired(acquisition);
    }

    private void checkAlive(dev.mmcheck.engine.Memory m) {
        if (aliveSlot >= 0 && m.read(aliveSlot) == 0) {
            m.violate(Kinds.PGTABLE_UAF, name + " used after its page-table page was freed");
        }
    }

    public void unlock() {
        long me = k.cpu() + 1;
        k.step("spin_unlock(" + name + ")", null, m -> {
            checkAlive(m);
            long owner = m.read(slot);
            if (owner != me) {
                m.violate(Kinds.BUG_ON, "spin_unlock(" + name + ") by CPU" + (me - 1) + " but "
                        + (owner == 0 ? "it is not held" : "CPU" + (owner - 1) + " holds it"));
            }
            m.write(slot, 0);
            if (owner == me) {
                m.released(slot);
            }
            return 0;
        });
        k.lockdep.released(this);
    }

    @Override
    public String toString() {
        return name;
    }
}
