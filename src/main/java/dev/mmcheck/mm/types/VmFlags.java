package dev.mmcheck.mm.types;

import java.util.StringJoiner;

/** vm_flags bits (include/linux/mm.h values). */
public final class VmFlags {
    private VmFlags() {}

    public static final long VM_READ = 0x1;
    public static final long VM_WRITE = 0x2;
    public static final long VM_SHARED = 0x8;
    public static final long VM_LOCKED = 0x2000;
    public static final long VM_LOCKONFAULT = 0x80000;
    /** A private writable mapping charged to the commit limit (mmap, mprotect); part of what vma_merge compares. */
    public static final long VM_ACCOUNT = 0x100000;
    /** VM_LOCKED_MASK: what mlock and munlock set and clear. */
    public static final long VM_LOCKED_MASK = VM_LOCKED | VM_LOCKONFAULT;
    /** <= 3.19: the vma has nonlinear ptes (remap_file_pages) and sits on i_mmap_nonlinear. */
    public static final long VM_NONLINEAR = 0x800000;

    public static String names(long f) {
        StringJoiner j = new StringJoiner("|");
        if ((f & VM_READ) != 0) j.add("VM_READ");
        if ((f & VM_WRITE) != 0) j.add("VM_WRITE");
        if ((f & VM_SHARED) != 0) j.add("VM_SHARED");
        if ((f & VM_LOCKED) != 0) j.add("VM_LOCKED");
        if ((f & VM_LOCKONFAULT) != 0) j.add("VM_LOCKONFAULT");
        if ((f & VM_NONLINEAR) != 0) j.add("VM_NONLINEAR");
        return j.length() == 0 ? "0" : j.toString();
    }
}
