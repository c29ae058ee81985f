package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;

/** spinlock_t: one slot holding the owning CPU + 1, or 0 when free. */
public final class SpinLock {
    private final Kernel k;
    public final String name;
    public final int slot;

    /** Slot that is 1 while the object holding this lock is allocated, or -1. */
    private final int aliveSlot;

    public SpinLock(Kernel k, String name) {
        this(k, name, -1);
    }

    /** A lock inside an object that can be freed (a page-table page): touching it then is a use after free. */
    public SpinLock(Kernel k, String name, int aliveSlot) {
        this.k = k;
        this.name = name;
        this.slot = k.layout.alloc(name);
        k.register(this);
        this.aliveSlot = aliveSlot;
    }

    public void lock() {
        long me = k.cpu() + 1;
        k.step("spin_lock(" + name + ")", m -> m.read(slot) == 0, m -> {
            checkAlive(m);
            m.write(slot, me);
            return 0;
        });
        k.acquired(this);
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
            return 0;
        });
        k.released(this);
    }

    @Override
    public String toString() {
        return name;
    }
}
