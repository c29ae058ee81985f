package dev.mmcheck.live;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One step of a {@link LiveProgram}. Every step but {@link Observe} is performed by one process,
 * numbered 0 for the first and then in the order {@link Fork}s create them. Offsets and lengths are
 * bytes; page-based helpers live on {@link LiveProgram.Builder}.
 */
public sealed interface LiveOp {
    /** The acting process, or -1 for an observation. */
    int process();

    /** A one-line description, e.g. {@code P0 mlock A[p0+4p]}. */
    String describe();

    /** Page protection. */
    enum Prot {
        NONE(0), READ(1), READ_WRITE(3), READ_EXEC(5), READ_WRITE_EXEC(7);

        final int bits;

        Prot(int bits) {
            this.bits = bits;
        }

        String shortName() {
            return ((bits & 1) != 0 ? "r" : "-") + ((bits & 2) != 0 ? "w" : "-") + ((bits & 4) != 0 ? "x" : "-");
        }
    }

    /** mmap flags beyond private/shared and anonymous/file. */
    enum MapFlag {
        /** MAP_FIXED: replace whatever is mapped there. Without it the address is only a hint. */
        FIXED,
        LOCKED,
        POPULATE
    }

    enum MlockallFlag {
        CURRENT,
        FUTURE,
        ONFAULT
    }

    enum MremapFlag {
        MAYMOVE,
        FIXED,
        DONTUNMAP
    }

    /**
     * mmap of {@code length} bytes at base+{@code offset}, anonymous ({@code file == null}) or of a file
     * the program declared, starting at {@code fileOffset} in it. Defines (or redefines) {@code region}
     * in the acting process as the mapped range (the requested one if mmap fails).
     */
    record Mmap(int process, String region, long offset, long length, Prot prot, boolean shared, String file,
            long fileOffset, Set<MapFlag> flags) implements LiveOp {
        public Mmap {
            Objects.requireNonNull(region);
            Objects.requireNonNull(prot);
            flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
        }

        @Override
        public String describe() {
            return "P" + process + " mmap " + region + "=base+" + LiveProgram.size(offset) + " " + LiveProgram.size(length)
                    + " " + prot.shortName() + " " + (shared ? "shared" : "private") + " "
                    + (file == null ? "anon" : "file " + file + "+" + LiveProgram.size(fileOffset)) + flagText(flags);
        }
    }

    /**
     * A one-byte user-mode read or write at the start of page {@code page} of {@code region}, or
     * (region null) of page {@code page} from the base address.
     */
    record Access(int process, String region, long page, boolean write) implements LiveOp {
        @Override
        public String describe() {
            return "P" + process + " " + (write ? "write " : "read ") + (region == null ? "base" : region) + "[p" + page + "]";
        }
    }

    /** mlock, or mlock2(MLOCK_ONFAULT) when {@code onFault}. */
    record Mlock(int process, Range range, boolean onFault) implements LiveOp {
        @Override
        public String describe() {
            return "P" + process + (onFault ? " mlock2(ONFAULT) " : " mlock ") + range;
        }
    }

    record Munlock(int process, Range range) implements LiveOp {
        @Override
        public String describe() {
            return "P" + process + " munlock " + range;
        }
    }

    record Mlockall(int process, Set<MlockallFlag> flags) implements LiveOp {
        public Mlockall {
            flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
        }

        @Override
        public String describe() {
            return "P" + process + " mlockall" + flagText(flags);
        }
    }

    record Munlockall(int process) implements LiveOp {
        @Override
        public String describe() {
            return "P" + process + " munlockall";
        }
    }

    record Mprotect(int process, Range range, Prot prot) implements LiveOp {
        @Override
        public String describe() {
            return "P" + process + " mprotect " + range + " " + prot.shortName();
        }
    }

    /**
     * mremap of {@code range} to {@code newLength} bytes; with {@link MremapFlag#FIXED} to
     * base+{@code newOffset}. On success the destination becomes region {@code newRegion} of the
     * acting process (which replaces the source region when it has the same name).
     */
    record Mremap(int process, Range range, long newLength, Set<MremapFlag> flags, long newOffset, String newRegion)
            implements LiveOp {
        public Mremap {
            Objects.requireNonNull(newRegion);
            flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
        }

        @Override
        public String describe() {
            return "P" + process + " mremap " + range + " -> " + newRegion + " " + LiveProgram.size(newLength)
                    + (flags.contains(MremapFlag.FIXED) ? " at base+" + LiveProgram.size(newOffset) : "") + flagText(flags);
        }
    }

    record Munmap(int process, Range range) implements LiveOp {
        @Override
        public String describe() {
            return "P" + process + " munmap " + range;
        }
    }

    /** madvise(MADV_DONTNEED). */
    record MadviseDontneed(int process, Range range) implements LiveOp {
        @Override
        public String describe() {
            return "P" + process + " madvise " + range + " DONTNEED";
        }
    }

    /** fork(): a new process, numbered next, whose memory is a copy-on-write copy of this one's. */
    record Fork(int process) implements LiveOp {
        @Override
        public String describe() {
            return "P" + process + " fork";
        }
    }

    /** The process exits (exit_group), tearing down its address space. */
    record Exit(int process) implements LiveOp {
        @Override
        public String describe() {
            return "P" + process + " exit";
        }
    }

    /** ftruncate of a program file to {@code length} bytes (through the acting process's descriptor). */
    record Ftruncate(int process, String file, long length) implements LiveOp {
        public Ftruncate {
            Objects.requireNonNull(file);
        }

        @Override
        public String describe() {
            return "P" + process + " ftruncate " + file + " " + LiveProgram.size(length);
        }
    }

    /** An observation point: every live process's regions, pages and VMAs, after the kernel's batches settle. */
    record Observe(String label) implements LiveOp {
        public Observe {
            Objects.requireNonNull(label);
        }

        @Override
        public int process() {
            return -1;
        }

        @Override
        public String describe() {
            return "observe " + label;
        }
    }

    private static String flagText(Set<? extends Enum<?>> flags) {
        if (flags.isEmpty()) {
            return "";
        }
        return " " + flags.stream().sorted().map(f -> f.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining("|"));
    }
}
