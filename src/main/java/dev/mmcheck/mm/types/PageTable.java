package dev.mmcheck.mm.types;

import dev.mmcheck.engine.Memory;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;
import dev.mmcheck.mm.lockdep.LockClass;
import dev.mmcheck.mm.types.Pgtable.Level;

/**
 * A page-table page: 512 entries, and (for PTE and PMD tables) the split lock that lives in its
 * struct page. With split locks the lock moves with the table: whoever reaches the table through
 * another pmd or pud slot takes the same lock.
 */
public final class PageTable {
    private final Kernel k;
    public final int id;
    public final Level level;
    public final int allocated;
    public final SpinLock ptl;
    private final int[] entries = new int[Pgtable.PTRS_PER_TABLE];

    public PageTable(Kernel k, int id, Level level) {
        this.k = k;
        this.id = id;
        this.level = level;
        this.allocated = k.layout.alloc(name() + ".allocated");
        this.ptl = new SpinLock(k, "ptl(T" + id + ")", allocated, switch (level) {
            case PTE -> LockClass.PTE_LOCK;
            case PMD -> LockClass.PMD_LOCK;
            default -> LockClass.other("ptl of a " + level.lower() + " table", false);
        });
        for (int i = 0; i < entries.length; i++) {
            entries[i] = k.layout.alloc(name() + "[" + i + "]");
        }
    }

    public String name() {
        return level.lower() + " table T" + id;
    }

    public int entrySlot(int i) {
        return entries[i];
    }

    /** A plain or READ_ONCE read of one entry. */
    public long read(int i, String what) {
        return k.load(what, m -> {
            checkAlive(m);
            return m.read(entries[i]);
        }, level == Level.PTE ? Pgtable::pteString : Pgtable::tableEntryString);
    }

    public void write(int i, long value, String what) {
        k.step(what, null, m -> {
            checkAlive(m);
            m.write(entries[i], value);
            return 0;
        });
    }

    /** ptep_get_and_clear and friends: one atomic exchange with none. */
    public long getAndClear(int i, String what) {
        return k.load(what, m -> {
            checkAlive(m);
            long old = m.read(entries[i]);
            m.write(entries[i], 0);
            return old;
        }, level == Level.PTE ? Pgtable::pteString : Pgtable::tableEntryString);
    }

    void checkAlive(Memory m) {
        if (m.read(allocated) == 0) {
            m.violate(Kinds.PGTABLE_UAF, name() + " accessed after it was freed");
        }
    }

    @Override
    public String toString() {
        return "T" + id;
    }
}
