package dev.mmcheck.live;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Readers of the oracle files: /proc/PID/{smaps,status,pagemap} and /proc/kpageflags. */
final class ProcFs {
    private ProcFs() {}

    static final long PM_PRESENT = 1L << 63;
    static final long PM_PFN_MASK = (1L << 55) - 1;
    static final int KPF_LRU = 5, KPF_ANON = 12, KPF_COMPOUND_HEAD = 15, KPF_COMPOUND_TAIL = 16,
            KPF_UNEVICTABLE = 18, KPF_THP = 22, KPF_ZERO_PAGE = 24, KPF_MLOCKED = 33;

    /** One VMA as smaps shows it. */
    record SmapsVma(long start, long end, String perms, String path, long lockedKb, List<String> flags) {
        boolean special() {
            return path.startsWith("[v");
        }
    }

    static String kernelRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    static List<SmapsVma> smaps(int pid) {
        List<SmapsVma> out = new ArrayList<>();
        long start = 0, end = 0, locked = 0;
        String perms = null, path = null;
        for (String line : Tracer.readLines(Path.of("/proc/" + pid + "/smaps"))) {
            if (!line.isEmpty() && Character.digit(line.charAt(0), 16) >= 0 && line.indexOf('-') > 0
                    && line.indexOf('-') < line.indexOf(' ')) {
                String[] f = line.split("\\s+", 6);
                int dash = f[0].indexOf('-');
                start = Long.parseUnsignedLong(f[0].substring(0, dash), 16);
                end = Long.parseUnsignedLong(f[0].substring(dash + 1), 16);
                perms = f[1];
                path = f.length > 5 ? f[5].strip() : "";
                locked = 0;
            } else if (line.startsWith("Locked:")) {
                locked = kb(line);
            } else if (line.startsWith("VmFlags:")) {
                List<String> flags = Arrays.stream(line.substring("VmFlags:".length()).trim().split("\\s+"))
                        .filter(s -> !s.isEmpty()).toList();
                out.add(new SmapsVma(start, end, perms, path, locked, flags));
            }
        }
        return out;
    }

    /** A numeric field of /proc/PID/status, e.g. "VmLck" (in kB) or "THP_enabled". */
    static long statusField(int pid, String field) {
        for (String line : Tracer.readLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return kb(line);
            }
        }
        throw new LiveException("no " + field + " in /proc/" + pid + "/status");
    }

    /** A field of /proc/PID/status as text, e.g. "Cpus_allowed_list". */
    static String statusText(int pid, String field) {
        for (String line : Tracer.readLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim();
            }
        }
        throw new LiveException("no " + field + " in /proc/" + pid + "/status");
    }

    private static long kb(String line) {
        String v = line.substring(line.indexOf(':') + 1).trim();
        int sp = v.indexOf(' ');
        return Long.parseLong(sp < 0 ? v : v.substring(0, sp));
    }

    /** Raw pagemap entries of {@code pages} pages from {@code addr}. */
    static long[] pagemap(int pid, long addr, int pages) {
        return read64(Path.of("/proc/" + pid + "/pagemap"), (addr / LiveProgram.PAGE) * 8, pages);
    }

    static long kpageflags(long pfn) {
        return read64(Path.of("/proc/kpageflags"), pfn * 8, 1)[0];
    }

    private static long[] read64(Path file, long offset, int count) {
        long[] out = new long[count];
        if (count == 0) {
            return out;
        }
        ByteBuffer b = ByteBuffer.allocate(count * 8).order(ByteOrder.nativeOrder());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (b.hasRemaining()) {
                int n = ch.read(b, offset + b.position());
                if (n <= 0) {
                    throw new LiveException("short read of " + file + " at " + offset);
                }
            }
        } catch (IOException e) {
            throw new LiveException("cannot read " + file + ": " + e.getMessage(), e);
        }
        b.flip();
        for (int i = 0; i < count; i++) {
            out[i] = b.getLong();
        }
        return out;
    }
}
