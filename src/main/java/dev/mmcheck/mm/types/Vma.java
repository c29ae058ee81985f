package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Kinds;

/** vm_area_struct. Pointer fields hold the target's id + 1 (0 is NULL). */
public final class Vma {
    private final Kernel k;
    public final int id;
    public final int mm;
    public final int start;
    public final int end;
    public final int pgoff;
    public final int flags;
    public final int anonVma;
    public final int file;
    public final int next;
    public final int allocated;
    /** Model-only (not in the kernel): a munlock_vma_pages_range of this vma is in progress. */
    public final int munlocking;

    public Vma(Kernel k, int id) {
        this.k = k;
        this.id = id;
        String n = "V" + id;
        this.mm = k.layout.alloc(n + ".vm_mm");
        this.start = k.layout.alloc(n + ".vm_start");
        this.end = k.layout.alloc(n + ".vm_end");
        this.pgoff = k.layout.alloc(n + ".vm_pgoff");
        this.flags = k.layout.alloc(n + ".vm_flags");
        this.anonVma = k.layout.alloc(n + ".anon_vma");
        this.file = k.layout.alloc(n + ".vm_file");
        this.next = k.layout.alloc(n + ".vm_next");
        this.allocated = k.layout.alloc(n + ".allocated");
        this.munlocking = k.layout.alloc(n + ".munlock_in_progress");
    }

    public String name() {
        return "V" + id;
    }

    /** vma->vm_flags, a plain load. */
    public long readFlags() {
        return k.load(name() + "->vm_flags", m -> {
            checkAlive(m);
            return m.read(flags);
        }, VmFlags::names);
    }

    /** vma->vm_mm (never changes while the vma exists). */
    public MmStruct readMm() {
        return k.mm((int) k.load(name() + "->vm_mm", m -> {
            checkAlive(m);
            return m.read(mm);
        }, r -> "mm" + (r - 1)) - 1);
    }

    /** A field of a freed vma is being read: report it (the value read is whatever was left). */
    public void checkAlive(dev.mmcheck.engine.Memory m) {
        if (m.read(allocated) == 0) {
            m.violate(Kinds.VMA_UAF, name() + " was read after it was freed");
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
