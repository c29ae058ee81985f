package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;

/**
 * anon_vma with its chain of vmas, kept in rmap traversal order (a vma linked later is visited
 * later, which is what mremap's need_rmap_locks reasoning relies on). Every anon_vma is its own
 * root until fork is modelled.
 */
public final class AnonVma {
    public static final int CHAIN = 7;
    public final int id;
    public final RwSemaphore rwsem;
    /** Vma ids + 1 in traversal order; holes are 0. */
    public final int[] chain = new int[CHAIN];
    public final int allocated;

    public AnonVma(Kernel k, int id) {
        this.id = id;
        String n = "anon_vma" + id;
        this.rwsem = new RwSemaphore(k, n + ".rwsem");
        for (int i = 0; i < CHAIN; i++) {
            chain[i] = k.layout.alloc(n + ".chain[" + i + "]");
        }
        this.allocated = k.layout.alloc(n + ".allocated");
    }

    public String name() {
        return "anon_vma" + id;
    }

    /** The rwsem that "locking the anon_vma" takes: the root's. */
    public RwSemaphore rootRwsem() {
        return rwsem;
    }

    @Override
    public String toString() {
        return name();
    }
}
