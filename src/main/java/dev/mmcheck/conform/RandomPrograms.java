package dev.mmcheck.conform;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random sequential programs in the scenario language, for {@code mmcheck conform --random}: mmaps
 * (anonymous or of one tmpfs file, private or shared, with any protection and flag), reads and
 * writes, mlock, mlock2, munlock, mlockall, munlockall, mprotect, munmap, mremap, madvise, forks,
 * exits and truncations, over a 96 KiB arena from the base, with observation points in between.
 * The same seed and index give the same program.
 */
public final class RandomPrograms {
    private RandomPrograms() {}

    private static final long BASE = Conform.BASE;

    /** The program number {@code index} of {@code seed}, as scenario text. */
    public static String program(long seed, int index) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + index);
        List<String> lines = new ArrayList<>();
        lines.add("# random program " + index + " of seed " + seed + " (mmcheck conform --random)");
        lines.add("scenario random-" + seed + "-" + index);
        lines.add("file F 8");
        lines.add("process P");
        List<String> alive = new ArrayList<>(List.of("P"));
        String cur = "P";
        int forks = 0;
        int fileMaps = 0;
        int steps = 8 + r.nextInt(20);
        for (int s = 0; s < steps; s++) {
            double k = r.nextDouble();
            if (k < 0.05 && forks < 3) {
                forks++;
                String child = "C" + forks;
                lines.add("  fork " + child);
                alive.add(child);
                continue;
            }
            if (k < 0.08 && alive.size() > 1) {
                String p = alive.get(r.nextInt(alive.size()));
                if (!p.equals(cur)) {
                    lines.add("process " + p);
                }
                lines.add("  exit");
                alive.remove(p);
                cur = alive.get(0);
                lines.add("process " + cur);
                continue;
            }
            if (alive.size() > 1 && r.nextDouble() < 0.2) {
                String p = alive.get(r.nextInt(alive.size()));
                if (!p.equals(cur)) {
                    lines.add("process " + p);
                    cur = p;
                }
            }
            long a = BASE + r.nextInt(24) * 4096L;
            long len = new long[] {4096, 8192, 12288, 16384, 32768}[r.nextInt(5)];
            String[] ops = {"mmap", "mmap", "mmapf", "write", "write", "read", "mlock", "munlock", "mlock2", "mprotect", "munmap",
                "mremap", "madvise", "mlockall", "munlockall", "truncate"};
            String op = ops[r.nextInt(ops.length)];
            if (op.equals("mmapf") && fileMaps >= 5) {
                op = "mmap";
            }
            switch (op) {
                case "mmap" -> lines.add("  mmap " + hex(a) + " " + hex(len) + " " + pick(r, "rw", "rw", "ro", "none") + " "
                        + pick(r, "private", "shared") + pick(r, "", " fixed", " locked", " populate"));
                case "mmapf" -> {
                    fileMaps++;
                    lines.add("  mmap " + hex(a) + " " + hex(len) + " " + pick(r, "rw", "ro") + " " + pick(r, "private", "shared") + " F@"
                            + r.nextInt(4) + pick(r, "", " fixed", " locked", " populate"));
                }
                case "write", "read" -> lines.add("  " + op + " " + hex(a));
                case "mlock", "munlock" -> lines.add("  " + op + " " + hex(a) + " " + hex(len));
                case "mlock2" -> lines.add("  mlock2 " + hex(a) + " " + hex(len) + " onfault");
                case "mprotect" -> lines.add("  mprotect " + hex(a) + " " + hex(len) + " " + pick(r, "rw", "ro", "none"));
                case "munmap" -> lines.add("  munmap " + hex(a) + " " + hex(len));
                case "mremap" -> {
                    String f = pick(r, "", "maymove", "maymove|fixed", "maymove|dontunmap");
                    long nl = f.contains("dontunmap") || r.nextBoolean() ? len : new long[] {4096, 8192, 16384}[r.nextInt(3)];
                    long to = BASE + 0x40000 + r.nextInt(16) * 4096L;
                    lines.add("  mremap " + hex(a) + " " + hex(len) + " " + hex(nl) + (f.isEmpty() ? "" : " " + f)
                            + (f.contains("fixed") || f.contains("dontunmap") ? " " + hex(to) : ""));
                }
                case "madvise" -> lines.add("  madvise " + hex(a) + " " + hex(len) + " dontneed");
                case "mlockall" -> lines.add("  mlockall " + pick(r, "current", "future", "current|onfault", "future|onfault", "current|future"));
                case "munlockall" -> lines.add("  munlockall");
                default -> lines.add("  truncate F " + hex(r.nextInt(9) * 4096L));
            }
            if (r.nextDouble() < 0.3) {
                lines.add("observe o" + s);
                lines.add("process " + cur);
            }
        }
        lines.add("observe end");
        return String.join("\n", lines) + "\n";
    }

    private static String pick(SplittableRandom r, String... choices) {
        return choices[r.nextInt(choices.length)];
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
