package dev.mmcheck.live;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What a {@link LiveProgram} did on the live kernel: each step's result and, at each observation
 * point, the settled state of every live process. Everything here is deterministic for a given
 * program and kernel (no PIDs, PFNs or absolute addresses), so two runs compare with {@code equals}
 * and a model's prediction can be compared field by field.
 */
public record LiveResult(String kernelRelease, int cpu, List<StepResult> steps, List<Observation> observations) {
    public LiveResult {
        steps = List.copyOf(steps);
        observations = List.copyOf(observations);
    }

    /**
     * The outcome of step {@code step}. {@code ret} is the syscall's return value, or -1 with
     * {@code errno} set (e.g. "EINVAL"). Address results (mmap, mremap) are given as offsets from the
     * base; a fork's is the new process's number; a page access returns 0, or -1 with {@code fault}
     * when the CPU fault could not be resolved (the access would have killed the process).
     */
    public record StepResult(int step, int process, String op, long ret, String errno, Fault fault) {
        public boolean ok() {
            return errno == null && fault == null;
        }

        @Override
        public String toString() {
            String r = fault != null ? "FAULT " + fault : errno != null ? "-1 " + errno : Long.toString(ret);
            return String.format("%3d %-55s -> %s", step, op, r);
        }
    }

    /** A page access that faulted: the signal the kernel raised (SIGSEGV/SIGBUS), its si_code, and the address as an offset from the base. */
    public record Fault(String signal, String code, long offset) {
        @Override
        public String toString() {
            return signal + "/" + code + " at base+0x" + Long.toHexString(offset);
        }
    }

    /** The settled state after step {@code step - 1}, for every live process in process order. */
    public record Observation(int step, String label, List<ProcessView> processes) {
        public Observation {
            processes = List.copyOf(processes);
        }

        public ProcessView process(int index) {
            return processes.stream().filter(p -> p.process() == index).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("process " + index + " not alive at " + label));
        }
    }

    /** One process: its VmLck (from /proc/PID/status), its regions page by page, and all its VMAs. */
    public record ProcessView(int process, long vmLckKb, List<RegionView> regions, List<VmaView> vmas) {
        public ProcessView {
            regions = List.copyOf(regions);
            vmas = List.copyOf(vmas);
        }

        public RegionView region(String name) {
            return regions.stream().filter(r -> r.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no region " + name + " in P" + process));
        }
    }

    /** A named region (an address range the program named, at {@code offset} from the base) and its pages. */
    public record RegionView(String name, long offset, List<PageView> pages) {
        public RegionView {
            pages = List.copyOf(pages);
        }

        public PageView page(int index) {
            return pages.get(index);
        }
    }

    /** What backs a page: nothing mapped, an anonymous page, a file (page-cache, including shmem) page, or the shared zero page. */
    public enum PageKind {
        NONE,
        ANON,
        FILE,
        ZERO
    }

    /**
     * One page of a region. {@code identity} is 0 when not present; otherwise pages that share a
     * physical page have the same number, numbered from 1 by first appearance over processes (in
     * order), their regions (in definition order) and pages.
     */
    public record PageView(int index, boolean present, int identity, boolean mlocked, boolean unevictable, PageKind kind) {
        String cell() {
            if (!present) {
                return ".";
            }
            String k = switch (kind) {
                case ANON -> "a";
                case FILE -> "f";
                case ZERO -> "z";
                case NONE -> "?";
            };
            return k + identity + (mlocked ? "M" : "") + (unevictable ? "U" : "");
        }
    }

    /**
     * A VMA (special mappings such as the vDSO excluded): offsets of its start and end from the base;
     * the region containing its start in this process, if any; permissions as in maps ("rw-p"); the
     * program file it maps, "[shmem]" for shared anonymous memory, or null; smaps {@code Locked:} in
     * kB; whether VmFlags has {@code lo} (VM_LOCKED); and all its VmFlags.
     */
    public record VmaView(long start, long end, String region, String perms, String file, long lockedKb, boolean lo,
            List<String> vmFlags) {
        public VmaView {
            vmFlags = List.copyOf(vmFlags);
        }

        @Override
        public String toString() {
            return String.format("[0x%x-0x%x) %s %s%s Locked:%dkB%s", start, end, perms,
                    region == null ? "-" : region, file == null ? "" : " " + file, lockedKb, lo ? " lo" : "");
        }
    }

    /** A readable multi-line rendering: steps, then each observation (pages as a{id}, f{id}, z{id}, M=mlocked, U=unevictable, '.'=absent). */
    public String render() {
        StringBuilder sb = new StringBuilder("kernel " + kernelRelease + ", cpu " + cpu + "\n");
        for (StepResult s : steps) {
            sb.append(s).append('\n');
        }
        for (Observation o : observations) {
            sb.append("observe ").append(o.label()).append(" (before step ").append(o.step()).append(")\n");
            for (ProcessView p : o.processes()) {
                sb.append("  P").append(p.process()).append(" VmLck ").append(p.vmLckKb()).append(" kB\n");
                for (RegionView r : p.regions()) {
                    sb.append(String.format("    %-6s @0x%-8x ", r.name(), r.offset()))
                            .append(r.pages().stream().map(PageView::cell).collect(Collectors.joining(" ")))
                            .append('\n');
                }
                for (VmaView v : p.vmas()) {
                    sb.append("    vma ").append(v).append('\n');
                }
            }
        }
        return sb.toString();
    }
}
