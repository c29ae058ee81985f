package dev.mmcheck.conform;

import dev.mmcheck.live.LiveResult;
import dev.mmcheck.live.LiveResult.PageKind;
import dev.mmcheck.live.LiveResult.PageView;
import dev.mmcheck.live.LiveResult.VmaView;
import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.types.MmStruct;
import dev.mmcheck.mm.types.Pgtable;
import dev.mmcheck.scenario.Scenario;
import dev.mmcheck.scenario.Timeline;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The checks written under an {@code observe} line, evaluated on the model's observation (conform
 * then compares the model with the live kernel, so where both run the checks hold for Linux too;
 * where the live kernel cannot be read they are what is left):
 * <ul>
 *   <li>{@code pages PROC ADDR CELL...}: the pages from ADDR on, one cell each: {@code .} not
 *       present, {@code ?} anything, else {@code a} (anonymous), {@code f} (file or shmem) or
 *       {@code z} (the zero page), then optionally an identity number (cells with the same number
 *       are the same physical page, different numbers different pages), {@code M} (PG_mlocked) and
 *       {@code U} (unevictable); a cell without M says the page is not mlocked.
 *   <li>{@code vmlck PROC SIZE}: VmLck.
 *   <li>{@code vmas PROC START:END:PERMS[:lo] ...}: exactly these vmas, in order.
 *   <li>{@code locked PROC ADDR SIZE}: smaps Locked: of the vma starting at ADDR.
 * </ul>
 */
final class Checks {
    private Checks() {}

    /** Null if the check holds on the model's observation, else what is wrong. */
    static String check(Scenario.Check c, LiveResult.Observation obs, int process, Timeline.Run run, ModelSide side) {
        LiveResult.ProcessView pv = obs.processes().stream().filter(p -> p.process() == process).findFirst().orElse(null);
        if (pv == null) {
            return c.process() + " is not alive";
        }
        switch (c.kind()) {
            case "pages" -> {
                Kernel k = run.kernel();
                MmStruct mm = run.mms().get(c.process());
                long addr = c.numbers().get(0);
                Map<Long, Integer> ids = new HashMap<>();
                List<PageView> pages = new ArrayList<>();
                for (int i = 0; i < c.args().size(); i++) {
                    pages.add(ModelSide.pageView(k, k.memory, mm, addr + (long) i * Pgtable.PAGE_SIZE, i, ids));
                }
                return pages(c, addr, pages);
            }
            case "vmlck" -> {
                long want = c.numbers().get(0) / 1024;
                return pv.vmLckKb() == want ? null : c.process() + " VmLck is " + pv.vmLckKb() + " kB, expected " + want + " kB";
            }
            case "locked" -> {
                long at = c.numbers().get(0) - Conform.BASE;
                long want = c.numbers().get(1) / 1024;
                for (VmaView v : pv.vmas()) {
                    if (v.start() == at) {
                        return v.lockedKb() == want ? null
                                : c.process() + " vma at " + Plan.name(c.numbers().get(0)) + " has Locked: " + v.lockedKb() + " kB, expected " + want + " kB";
                    }
                }
                return c.process() + " has no vma starting at " + Plan.name(c.numbers().get(0));
            }
            case "vmas" -> {
                List<String> want = new ArrayList<>();
                for (int i = 0; i < c.args().size(); i++) {
                    want.add(Plan.name(c.numbers().get(2 * i)) + ":" + Plan.name(c.numbers().get(2 * i + 1)) + ":" + c.args().get(i));
                }
                List<String> got = new ArrayList<>();
                for (VmaView v : pv.vmas()) {
                    got.add(Plan.name(v.start() + Conform.BASE) + ":" + Plan.name(v.end() + Conform.BASE) + ":" + v.perms() + (v.lo() ? ":lo" : ""));
                }
                return want.equals(got) ? null : c.process() + " vmas are " + got + ", expected " + want;
            }
            default -> {
                return "unknown check " + c.kind();
            }
        }
    }

    /** The pages against the cells; null if they match. */
    static String pages(Scenario.Check c, long addr, List<PageView> pages) {
        Map<String, Integer> byDigit = new HashMap<>();
        Map<Integer, String> digitOf = new HashMap<>();
        for (int i = 0; i < c.args().size(); i++) {
            String cell = c.args().get(i);
            PageView p = pages.get(i);
            String where = c.process() + " page " + Plan.name(addr + (long) i * Pgtable.PAGE_SIZE);
            if (cell.equals("?")) {
                continue;
            }
            if (cell.equals(".")) {
                if (p.present()) {
                    return where + " is present (" + cell(p) + "), expected absent";
                }
                continue;
            }
            if (!p.present()) {
                return where + " is absent, expected " + cell;
            }
            char kind = cell.charAt(0);
            PageKind want = kind == 'a' ? PageKind.ANON : kind == 'f' ? PageKind.FILE : kind == 'z' ? PageKind.ZERO : null;
            if (want != null && p.kind() != want) {
                return where + " is " + cell(p) + ", expected " + cell;
            }
            if (p.mlocked() != cell.contains("M") || p.unevictable() != cell.contains("U")) {
                return where + " is " + cell(p) + ", expected " + cell;
            }
            String digits = cell.replaceAll("[^0-9]", "");
            if (!digits.isEmpty()) {
                String prev = digitOf.putIfAbsent(p.identity(), digits);
                if (prev != null && !prev.equals(digits)) {
                    return where + " is the same page as a page written " + prev + ", expected " + cell;
                }
                Integer id = byDigit.putIfAbsent(digits, p.identity());
                if (id != null && id != p.identity()) {
                    return where + " is not the same page as the page written " + digits + ", expected " + cell;
                }
            }
        }
        return null;
    }

    static String cell(PageView p) {
        if (!p.present()) {
            return ".";
        }
        String k = switch (p.kind()) {
            case ANON -> "a";
            case FILE -> "f";
            case ZERO -> "z";
            case NONE -> "?";
        };
        return k + (p.mlocked() ? "M" : "") + (p.unevictable() ? "U" : "");
    }
}
