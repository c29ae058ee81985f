package dev.mmcheck.live;

import dev.mmcheck.live.LiveOp.MapFlag;
import dev.mmcheck.live.LiveOp.MlockallFlag;
import dev.mmcheck.live.LiveOp.MremapFlag;
import dev.mmcheck.live.LiveOp.Prot;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sequential program of memory-management syscalls, page accesses and observation points, on named
 * regions of one or more processes, to be run on the live kernel by {@link LiveRunner}.
 *
 * <p>Addresses are offsets from a base address the harness picks (1 GiB aligned, with {@code span}
 * bytes above it free), so a program's layout is the same on every run. Files are created by the
 * harness in a fresh tmpfs directory with the given sizes before the first step.
 *
 * <p>Built with {@link #builder()}; {@link Builder#build()} checks that every step names a process
 * that exists at that point, a declared file and a region that process has.
 */
public record LiveProgram(List<LiveOp> ops, Map<String, Long> files, long span) {
    /** The page size the harness assumes (x86_64 small pages). */
    public static final long PAGE = 4096;

    public LiveProgram {
        ops = List.copyOf(ops);
        files = Map.copyOf(files);
        validate(ops, files, span);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The number of processes the program creates (1 + its forks). */
    public int processCount() {
        return 1 + (int) ops.stream().filter(o -> o instanceof LiveOp.Fork).count();
    }

    static String size(long bytes) {
        if (bytes != 0 && bytes % (1L << 30) == 0) {
            return bytes / (1L << 30) + "G";
        }
        if (bytes != 0 && bytes % (1L << 20) == 0) {
            return bytes / (1L << 20) + "M";
        }
        if (bytes != 0 && bytes % PAGE == 0) {
            return bytes / PAGE + "p";
        }
        return Long.toString(bytes);
    }

    private static void validate(List<LiveOp> ops, Map<String, Long> files, long span) {
        if (span <= 0 || span % (1L << 21) != 0) {
            throw new IllegalArgumentException("span must be a positive multiple of 2M: " + span);
        }
        files.forEach((name, len) -> {
            if (!name.matches("[A-Za-z0-9_.-]+") || len < 0) {
                throw new IllegalArgumentException("bad file " + name + " of " + len + " bytes");
            }
        });
        Map<Integer, Set<String>> regions = new HashMap<>();
        regions.put(0, new LinkedHashSet<>());
        int next = 1;
        for (int i = 0; i < ops.size(); i++) {
            LiveOp op = ops.get(i);
            String at = "step " + i + " (" + op.describe() + "): ";
            if (!(op instanceof LiveOp.Observe) && !regions.containsKey(op.process())) {
                throw new IllegalArgumentException(at + "process " + op.process() + " does not exist at this point");
            }
            Set<String> mine = regions.get(op.process());
            switch (op) {
                case LiveOp.Mmap m -> {
                    if (m.file() != null && !files.containsKey(m.file())) {
                        throw new IllegalArgumentException(at + "undeclared file " + m.file());
                    }
                    if (m.offset() < 0 || m.offset() >= span) {
                        throw new IllegalArgumentException(at + "offset outside the span");
                    }
                    mine.add(m.region());
                }
                case LiveOp.Access a -> {
                    if (a.region() != null) {
                        needRegion(at, mine, a.region());
                    }
                }
                case LiveOp.Mlock m -> needRange(at, mine, m.range());
                case LiveOp.Munlock m -> needRange(at, mine, m.range());
                case LiveOp.Mprotect m -> needRange(at, mine, m.range());
                case LiveOp.Munmap m -> needRange(at, mine, m.range());
                case LiveOp.MadviseDontneed m -> needRange(at, mine, m.range());
                case LiveOp.Mremap m -> {
                    needRange(at, mine, m.range());
                    mine.add(m.newRegion());
                }
                case LiveOp.Fork f -> regions.put(next++, new LinkedHashSet<>(mine));
                case LiveOp.Exit e -> regions.remove(e.process());
                case LiveOp.Ftruncate t -> {
                    if (!files.containsKey(t.file())) {
                        throw new IllegalArgumentException(at + "undeclared file " + t.file());
                    }
                }
                case LiveOp.Mlockall m -> {}
                case LiveOp.Munlockall m -> {}
                case LiveOp.Observe o -> {}
            }
        }
    }

    private static void needRange(String at, Set<String> regions, Range r) {
        if (r.region() != null) {
            needRegion(at, regions, r.region());
        }
        // an absolute range's length goes to the kernel as it is (a negative one is a huge unsigned length)
    }

    private static void needRegion(String at, Set<String> regions, String name) {
        if (!regions.contains(name)) {
            throw new IllegalArgumentException(at + "no region " + name + " in this process");
        }
    }

    /** Fluent construction; sizes in pages unless a method says bytes. */
    public static final class Builder {
        private final List<LiveOp> ops = new ArrayList<>();
        private final Map<String, Long> files = new LinkedHashMap<>();
        private long span = 1L << 30;

        /** Bytes above the base address the program may use (default 1 GiB). */
        public Builder span(long bytes) {
            this.span = bytes;
            return this;
        }

        /** Declares a file of {@code pages} pages in the harness's tmpfs directory. */
        public Builder file(String name, long pages) {
            files.put(name, pages * PAGE);
            return this;
        }

        public Builder add(LiveOp op) {
            ops.add(op);
            return this;
        }

        /** Anonymous mapping of {@code pages} pages at page {@code pageOffset} from the base. */
        public Builder mmapAnon(int process, String region, long pageOffset, long pages, Prot prot, boolean shared,
                MapFlag... flags) {
            return add(new LiveOp.Mmap(process, region, pageOffset * PAGE, pages * PAGE, prot, shared, null, 0, set(MapFlag.class, flags)));
        }

        /** Mapping of {@code pages} pages of {@code file} from page {@code filePage}, at page {@code pageOffset} from the base. */
        public Builder mmapFile(int process, String region, long pageOffset, long pages, Prot prot, boolean shared,
                String file, long filePage, MapFlag... flags) {
            return add(new LiveOp.Mmap(process, region, pageOffset * PAGE, pages * PAGE, prot, shared, file, filePage * PAGE,
                    set(MapFlag.class, flags)));
        }

        public Builder read(int process, String region, long page) {
            return add(new LiveOp.Access(process, region, page, false));
        }

        public Builder write(int process, String region, long page) {
            return add(new LiveOp.Access(process, region, page, true));
        }

        public Builder mlock(int process, Range range) {
            return add(new LiveOp.Mlock(process, range, false));
        }

        public Builder mlockOnFault(int process, Range range) {
            return add(new LiveOp.Mlock(process, range, true));
        }

        public Builder munlock(int process, Range range) {
            return add(new LiveOp.Munlock(process, range));
        }

        public Builder mlockall(int process, MlockallFlag... flags) {
            return add(new LiveOp.Mlockall(process, set(MlockallFlag.class, flags)));
        }

        public Builder munlockall(int process) {
            return add(new LiveOp.Munlockall(process));
        }

        public Builder mprotect(int process, Range range, Prot prot) {
            return add(new LiveOp.Mprotect(process, range, prot));
        }

        /** mremap to {@code newPages} pages; {@code newPageOffset} is used with {@link MremapFlag#FIXED}. */
        public Builder mremap(int process, Range range, long newPages, String newRegion, long newPageOffset,
                MremapFlag... flags) {
            return add(new LiveOp.Mremap(process, range, newPages * PAGE, set(MremapFlag.class, flags), newPageOffset * PAGE, newRegion));
        }

        public Builder munmap(int process, Range range) {
            return add(new LiveOp.Munmap(process, range));
        }

        public Builder madviseDontneed(int process, Range range) {
            return add(new LiveOp.MadviseDontneed(process, range));
        }

        public Builder fork(int process) {
            return add(new LiveOp.Fork(process));
        }

        public Builder exit(int process) {
            return add(new LiveOp.Exit(process));
        }

        public Builder ftruncate(int process, String file, long pages) {
            return add(new LiveOp.Ftruncate(process, file, pages * PAGE));
        }

        public Builder observe(String label) {
            return add(new LiveOp.Observe(label));
        }

        public LiveProgram build() {
            return new LiveProgram(ops, files, span);
        }

        @SafeVarargs
        private static <E extends Enum<E>> Set<E> set(Class<E> type, E... flags) {
            EnumSet<E> s = EnumSet.noneOf(type);
            for (E f : flags) {
                s.add(f);
            }
            return s;
        }
    }
}
