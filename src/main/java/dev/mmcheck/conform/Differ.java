package dev.mmcheck.conform;

import dev.mmcheck.live.LiveResult;
import dev.mmcheck.live.LiveResult.PageView;
import dev.mmcheck.live.LiveResult.ProcessView;
import dev.mmcheck.live.LiveResult.RegionView;
import dev.mmcheck.live.LiveResult.StepResult;
import dev.mmcheck.live.LiveResult.VmaView;
import dev.mmcheck.scenario.Command;
import dev.mmcheck.scenario.Outcome;
import dev.mmcheck.scenario.Scenario;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Compares the model's run of a scenario with the live kernel's, step by step and observation by
 * observation, and says every difference in words: which step or which page of which region of
 * which process, which property, and what each side has.
 *
 * <p>Addresses the kernel chooses itself (an mmap hint it does not take, an mremap that moves
 * without MREMAP_FIXED) lie outside the program's span on both sides, at places that differ (the
 * live kernel's mmap_base is randomized): the first such result fixes the offset between the two,
 * and every later one, and every vma out there, must agree with it.
 */
final class Differ {
    private final Plan plan;
    private final ModelSide model;
    private final LiveResult live;
    private final List<String> out = new ArrayList<>();
    private Long delta;

    private Differ(Plan plan, ModelSide model, LiveResult live) {
        this.plan = plan;
        this.model = model;
        this.live = live;
    }

    static List<String> diff(Plan plan, ModelSide model, LiveResult live) {
        Differ d = new Differ(plan, model, live);
        d.steps();
        d.observations();
        return d.out;
    }

    private boolean inSpan(long offset) {
        return offset >= 0 && offset < plan.span;
    }

    /** A model offset where the live kernel has it (kernel-chosen addresses shifted by the learnt delta). */
    private long translate(long modelOffset) {
        return inSpan(modelOffset) || delta == null ? modelOffset : modelOffset + delta;
    }

    private static String hexOff(long off) {
        return Plan.name(off + Conform.BASE);
    }

    // ---- steps --------------------------------------------------------------------------------------

    private void steps() {
        List<Scenario.Step> tl = plan.scenario.timeline();
        for (int i = 0; i < tl.size(); i++) {
            if (!(tl.get(i) instanceof Scenario.Call call) || plan.liveStep[i] < 0) {
                continue;
            }
            StepResult lr = live.steps().get(plan.liveStep[i]);
            Outcome mo = model.outcomes[i];
            String what = "line " + call.pos().line() + " (" + call.process() + ": " + text(call.command()) + ")";
            String ms = modelText(call.command(), mo);
            String ls = liveText(lr);
            if (lr.fault() != null || mo.fault() != null || lr.errno() != null || mo.errno() != null) {
                if (!ms.equals(ls)) {
                    out.add(what + ": model " + ms + ", live " + ls);
                }
                continue;
            }
            switch (call.command()) {
                case Command.Mmap m -> address(what, mo.value() - Conform.BASE, lr.ret());
                case Command.Mremap r -> address(what, mo.value() - Conform.BASE, lr.ret());
                case Command.Fork f -> {
                    long want = plan.processNumber.get(f.child());
                    if (lr.ret() != want) {
                        out.add(what + ": live fork gave process " + lr.ret() + ", expected " + want);
                    }
                }
                default -> {
                    if (mo.value() != lr.ret()) {
                        out.add(what + ": model " + ms + ", live " + ls);
                    }
                }
            }
        }
    }

    private void address(String what, long modelOff, long liveOff) {
        if (!inSpan(modelOff) && !inSpan(liveOff)) {
            if (delta == null) {
                delta = liveOff - modelOff;
            } else if (modelOff + delta != liveOff) {
                out.add(what + ": a kernel-chosen address: model " + hexOff(modelOff) + ", live " + hexOff(liveOff)
                        + ", not where the earlier kernel-chosen address puts it (" + hexOff(modelOff + delta) + ")");
            }
            return;
        }
        if (modelOff != liveOff) {
            out.add(what + ": model " + hexOff(modelOff) + ", live " + hexOff(liveOff));
        }
    }

    private String modelText(Command c, Outcome o) {
        if (o.fault() != null) {
            return o.fault().signal() + "/" + o.fault().code() + " at " + hexOff(translate(o.fault().address() - Conform.BASE));
        }
        if (o.errno() != null) {
            return "-1 " + o.errno();
        }
        return (c instanceof Command.Mmap || c instanceof Command.Mremap) ? hexOff(o.value() - Conform.BASE) : Long.toString(o.value());
    }

    private static String liveText(StepResult r) {
        if (r.fault() != null) {
            return r.fault().signal() + "/" + r.fault().code() + " at " + hexOff(r.fault().offset());
        }
        if (r.errno() != null) {
            return "-1 " + r.errno();
        }
        return r.op().contains(" mmap ") || r.op().contains(" mremap ") ? hexOff(r.ret()) : Long.toString(r.ret());
    }

    // ---- observations ---------------------------------------------------------------------------------

    private void observations() {
        List<String> names = plan.processNames();
        int n = Math.min(model.observations.size(), live.observations().size());
        if (model.observations.size() != live.observations().size()) {
            out.add("the model made " + model.observations.size() + " observations, the live run " + live.observations().size());
        }
        for (int j = 0; j < n; j++) {
            LiveResult.Observation mo = model.observations.get(j);
            LiveResult.Observation lo = live.observations().get(j);
            String at = "observe " + lo.label() + ": ";
            List<Integer> mp = mo.processes().stream().map(ProcessView::process).toList();
            List<Integer> lp = lo.processes().stream().map(ProcessView::process).toList();
            if (!mp.equals(lp)) {
                out.add(at + "live processes: model " + mp + ", live " + lp);
                continue;
            }
            Map<Integer, Integer> modelToLive = new HashMap<>();
            Map<Integer, Integer> liveToModel = new HashMap<>();
            Map<Integer, String> firstSeen = new HashMap<>();
            for (int p = 0; p < mp.size(); p++) {
                ProcessView m = mo.processes().get(p);
                ProcessView l = lo.processes().get(p);
                String proc = names.get(m.process());
                String pat = at + proc + " (P" + m.process() + ")";
                if (m.vmLckKb() != l.vmLckKb()) {
                    out.add(pat + ": VmLck: model " + m.vmLckKb() + " kB, live " + l.vmLckKb() + " kB");
                }
                regions(pat, m, l, modelToLive, liveToModel, firstSeen);
                vmas(pat, m, l);
            }
        }
    }

    private void regions(String pat, ProcessView m, ProcessView l, Map<Integer, Integer> modelToLive, Map<Integer, Integer> liveToModel,
            Map<Integer, String> firstSeen) {
        List<String> mn = m.regions().stream().map(RegionView::name).toList();
        List<String> ln = l.regions().stream().map(RegionView::name).toList();
        if (!mn.equals(ln)) {
            out.add(pat + ": regions: model " + mn + ", live " + ln);
        }
        for (RegionView a : m.regions()) {
            RegionView b = l.regions().stream().filter(x -> x.name().equals(a.name())).findFirst().orElse(null);
            if (b == null) {
                continue;
            }
            String rat = pat + " region " + a.name();
            if (translate(a.offset()) != b.offset()) {
                out.add(rat + ": at " + hexOff(translate(a.offset())) + " in the model, " + hexOff(b.offset()) + " live");
            }
            if (a.pages().size() != b.pages().size()) {
                out.add(rat + ": " + a.pages().size() + " pages in the model, " + b.pages().size() + " live");
                continue;
            }
            for (int i = 0; i < a.pages().size(); i++) {
                PageView x = a.pages().get(i);
                PageView y = b.pages().get(i);
                String where = rat + " page " + i + " (" + hexOff(b.offset() + (long) i * 4096) + ")";
                if (x.present() != y.present()) {
                    out.add(where + ": present: model " + yes(x.present()) + ", live " + yes(y.present()));
                    continue;
                }
                if (!x.present()) {
                    continue;
                }
                if (x.kind() != y.kind()) {
                    out.add(where + ": " + kind(x) + " in the model, " + kind(y) + " live");
                }
                if (x.mlocked() != y.mlocked()) {
                    out.add(where + ": MLOCKED: model " + yes(x.mlocked()) + ", live " + yes(y.mlocked()));
                }
                if (x.unevictable() != y.unevictable()) {
                    out.add(where + ": UNEVICTABLE: model " + yes(x.unevictable()) + ", live " + yes(y.unevictable()));
                }
                Integer ml = modelToLive.putIfAbsent(x.identity(), y.identity());
                Integer lm = liveToModel.putIfAbsent(y.identity(), x.identity());
                firstSeen.putIfAbsent(-x.identity(), where);
                if (ml != null && ml != y.identity()) {
                    out.add(where + ": the model maps the same page here as at " + firstSeen.get(-x.identity()) + "; live does not");
                } else if (lm != null && lm != x.identity()) {
                    out.add(where + ": live maps the same page here as at an earlier page the model maps differently");
                }
            }
        }
    }

    private void vmas(String pat, ProcessView m, ProcessView l) {
        List<String> mv = m.vmas().stream().map(v -> vma(v, true)).toList();
        List<String> lv = l.vmas().stream().map(v -> vma(v, false)).toList();
        if (mv.equals(lv)) {
            return;
        }
        List<String> onlyModel = mv.stream().filter(v -> !lv.contains(v)).toList();
        List<String> onlyLive = lv.stream().filter(v -> !mv.contains(v)).toList();
        out.add(pat + ": vmas differ: model only " + onlyModel + ", live only " + onlyLive
                + (onlyModel.isEmpty() && onlyLive.isEmpty() ? " (order)" : ""));
    }

    private String vma(VmaView v, boolean fromModel) {
        long s = fromModel ? translate(v.start()) : v.start();
        long e = fromModel ? translate(v.end()) : v.end();
        return hexOff(s) + "-" + hexOff(e) + " " + v.perms() + (v.lo() ? " lo" : "") + " Locked:" + v.lockedKb() + "kB"
                + (v.file() == null ? "" : " " + v.file());
    }

    /** A command as the scenario language writes it. */
    static String text(Command c) {
        return switch (c) {
            case Command.Mmap m -> "mmap " + Plan.name(m.addr()) + " " + size(m.len()) + " " + prot(m.prot()) + (m.shared() ? " shared" : "")
                    + (m.file() == null ? "" : " " + m.file() + (m.pgoff() == 0 ? "" : "@" + m.pgoff()))
                    + ((m.flags() & Command.MAP_FIXED) != 0 ? " fixed" : "") + ((m.flags() & Command.MAP_LOCKED) != 0 ? " locked" : "")
                    + ((m.flags() & Command.MAP_POPULATE) != 0 ? " populate" : "");
            case Command.Munmap m -> "munmap " + Plan.name(m.addr()) + " " + size(m.len());
            case Command.Mprotect m -> "mprotect " + Plan.name(m.addr()) + " " + size(m.len()) + " " + prot(m.prot());
            case Command.Mlock m -> (m.on() ? "mlock " : "munlock ") + Plan.name(m.addr()) + " " + size(m.len());
            case Command.Mlock2 m -> "mlock2 " + Plan.name(m.addr()) + " " + size(m.len()) + ((m.flags() & 1) != 0 ? " onfault" : " 0");
            case Command.Mlockall m -> "mlockall " + (m.flags() == 0 ? "0" : String.join("|", java.util.stream.Stream.of(
                    (m.flags() & 1) != 0 ? "current" : null, (m.flags() & 2) != 0 ? "future" : null, (m.flags() & 4) != 0 ? "onfault" : null)
                    .filter(x -> x != null).toList()));
            case Command.Munlockall m -> "munlockall";
            case Command.Madvise m -> "madvise " + Plan.name(m.addr()) + " " + size(m.len()) + " dontneed";
            case Command.Fork f -> "fork " + f.child();
            case Command.Exit e -> "exit";
            case Command.Truncate t -> "truncate " + t.file() + " " + size(t.size());
            case Command.Access a -> (a.write() ? "write " : "read ") + Plan.name(a.addr());
            case Command.Mremap r -> "mremap " + Plan.name(r.addr()) + " " + size(r.oldLen()) + " " + size(r.newLen())
                    + (r.flags() == 0 ? "" : " " + String.join("|", java.util.stream.Stream.of((r.flags() & 1) != 0 ? "maymove" : null,
                            (r.flags() & 2) != 0 ? "fixed" : null, (r.flags() & 4) != 0 ? "dontunmap" : null).filter(x -> x != null).toList()))
                    + ((r.flags() & 6) != 0 ? " " + Plan.name(r.newAddr()) : "");
            default -> c.getClass().getSimpleName().toLowerCase();
        };
    }

    private static String size(long n) {
        if (n > 0 && n % 1024 == 0 && n < (1L << 40)) {
            return n % (1L << 20) == 0 ? (n >> 20) + "M" : (n >> 10) + "K";
        }
        return n < 0 || n > 0xffffff ? "0x" + Long.toHexString(n) : Long.toString(n);
    }

    private static String prot(int p) {
        return p == 3 ? "rw" : p == 1 ? "ro" : "none";
    }

    private static String yes(boolean b) {
        return b ? "yes" : "no";
    }

    private static String kind(PageView p) {
        return switch (p.kind()) {
            case ANON -> "an anonymous page";
            case FILE -> "a file page";
            case ZERO -> "the zero page";
            case NONE -> "nothing";
        };
    }

    /** The model's run as the live harness renders its results (for -v). */
    static String renderModel(Plan plan, ModelSide model) {
        List<StepResult> steps = new ArrayList<>();
        List<Scenario.Step> tl = plan.scenario.timeline();
        List<String> names = plan.processNames();
        for (int i = 0; i < tl.size(); i++) {
            if (tl.get(i) instanceof Scenario.Call c) {
                Outcome o = model.outcomes[i];
                if (o == null || plan.liveStep[i] < 0) {
                    continue;
                }
                String op = plan.program.ops().get(plan.liveStep[i]).describe();
                LiveResult.Fault f = o.fault() == null ? null : new LiveResult.Fault(o.fault().signal(), o.fault().code(), o.fault().address() - Conform.BASE);
                long ret = (c.command() instanceof Command.Mmap || c.command() instanceof Command.Mremap) && !o.failed() ? o.value() - Conform.BASE : o.value();
                steps.add(new StepResult(plan.liveStep[i], plan.processNumber.get(c.process()), op, ret, o.errno(), f));
            }
        }
        String r = new LiveResult("model " + model.generation.version, 0, steps, model.observations).render();
        return r + names.stream().collect(Collectors.joining(", ", "(processes: ", ")\n"));
    }
}
