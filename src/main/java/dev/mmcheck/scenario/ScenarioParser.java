package dev.mmcheck.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the scenario language: one directive per line, commands indented under the process or
 * CPU they belong to, {@code #} comments, {@code |} lines of description. Every error names the
 * file, line and column.
 */
public final class ScenarioParser {
    public static final Set<String> CONFIG_KEYS = Set.of("split-pmd-ptlocks", "move-pmd", "move-pud");
    public static final Set<String> SIZE_KEYS = Set.of("pages", "pud-tables", "pmd-tables", "pte-tables", "vmas", "anon-vmas", "swap-slots");
    public static final Set<String> VERDICTS = Set.of("VERIFIED", "VIOLATION", "INCOMPLETE");

    private final String file;
    private String name;
    private String seed = "";
    private String title = "";
    private final List<String> description = new ArrayList<>();
    private final List<Scenario.Variant> variants = new ArrayList<>();
    private final List<Scenario.Expectation> expectations = new ArrayList<>();
    private final Map<String, Boolean> config = new LinkedHashMap<>();
    private final Map<String, Integer> sizes = new LinkedHashMap<>();
    private int preemptionBound = -1;
    private final List<Scenario.Process> processes = new ArrayList<>();
    private final List<Scenario.Cpu> cpus = new ArrayList<>();
    private List<Command> block; // where indented commands go

    private ScenarioParser(String file) {
        this.file = file;
    }

    public static Scenario parse(String file, String text) {
        return new ScenarioParser(file).run(text);
    }

    private Scenario run(String text) {
        String[] lines = text.split("\n", -1);
        Pos first = null;
        for (int i = 0; i < lines.length; i++) {
            String raw = lines[i].replace("\r", "");
            List<Token> toks = Lexer.tokens(file, i + 1, raw);
            if (raw.stripLeading().startsWith("|")) {
                int bar = raw.indexOf('|');
                description.add(raw.substring(bar + 1).strip());
                continue;
            }
            if (toks.isEmpty()) {
                continue;
            }
            if (first == null) {
                first = toks.get(0).pos();
            }
            boolean indented = Character.isWhitespace(raw.charAt(0));
            if (indented) {
                if (block == null) {
                    throw new ScenarioError(toks.get(0).pos(), "an indented command must follow a 'process' or 'cpu' line");
                }
                block.add(CommandParser.parse(toks));
            } else {
                block = null;
                directive(toks);
            }
        }
        if (name == null) {
            throw new ScenarioError(first != null ? first : new Pos(file, 1, 1), "missing 'scenario NAME' line");
        }
        if (cpus.isEmpty()) {
            throw new ScenarioError(new Pos(file, lines.length, 1), "the scenario has no 'cpu' section");
        }
        if (variants.isEmpty()) {
            variants.add(new Scenario.Variant("base", List.of(), "the model's base kernel", new Pos(file, 1, 1)));
        }
        for (Scenario.Expectation e : expectations) {
            if (variants.stream().noneMatch(v -> v.name().equals(e.variant()))) {
                throw new ScenarioError(e.pos(), "expectation for unknown variant '" + e.variant() + "'");
            }
        }
        return new Scenario(name, file, seed, title, List.copyOf(description), List.copyOf(variants),
                List.copyOf(expectations), Map.copyOf(config), Map.copyOf(sizes), preemptionBound,
                List.copyOf(processes), List.copyOf(cpus));
    }

    private void directive(List<Token> t) {
        Token d = t.get(0);
        switch (d.text()) {
            case "scenario" -> {
                need(t, 2, 2, "scenario NAME");
                name = t.get(1).text();
            }
            case "seed" -> {
                need(t, 2, 2, "seed NUMBER");
                seed = t.get(1).text();
            }
            case "title" -> {
                need(t, 2, 2, "title \"TEXT\"");
                title = t.get(1).text();
            }
            case "variant" -> variant(t);
            case "expect" -> expect(t);
            case "config" -> keyValues(t, CONFIG_KEYS, true);
            case "size" -> keyValues(t, SIZE_KEYS, false);
            case "bound" -> bound(t);
            case "process" -> {
                need(t, 2, 2, "process NAME");
                String p = t.get(1).text();
                if (process(p) != null) {
                    throw new ScenarioError(t.get(1).pos(), "process '" + p + "' is declared twice");
                }
                block = new ArrayList<>();
                processes.add(new Scenario.Process(p, block, d.pos()));
            }
            case "cpu" -> {
                need(t, 3, 3, "cpu NAME PROCESS");
                String c = t.get(1).text();
                if (cpus.stream().anyMatch(x -> x.name().equals(c))) {
                    throw new ScenarioError(t.get(1).pos(), "cpu '" + c + "' is declared twice");
                }
                if (process(t.get(2).text()) == null) {
                    throw new ScenarioError(t.get(2).pos(), "unknown process '" + t.get(2).text() + "' (declare it with 'process' first)");
                }
                if (cpus.size() == 62) {
                    throw new ScenarioError(d.pos(), "at most 62 CPUs");
                }
                block = new ArrayList<>();
                cpus.add(new Scenario.Cpu(c, t.get(2).text(), block, d.pos()));
            }
            default -> throw new ScenarioError(d.pos(), "unknown directive '" + d.text()
                    + "' (expected scenario, seed, title, variant, expect, config, size, bound, process or cpu;"
                    + " commands must be indented under a process or cpu)");
        }
    }

    private Scenario.Process process(String n) {
        for (Scenario.Process p : processes) {
            if (p.name().equals(n)) {
                return p;
            }
        }
        return null;
    }

    private void variant(List<Token> t) {
        if (t.size() < 2) {
            throw new ScenarioError(t.get(0).pos(), "expected: variant NAME [+patch ...] [\"description\"]");
        }
        String vn = t.get(1).text();
        if (variants.stream().anyMatch(v -> v.name().equals(vn))) {
            throw new ScenarioError(t.get(1).pos(), "variant '" + vn + "' is declared twice");
        }
        List<String> patches = new ArrayList<>();
        String desc = "";
        for (int i = 2; i < t.size(); i++) {
            Token x = t.get(i);
            if (x.quoted()) {
                desc = x.text();
            } else if (x.text().startsWith("+")) {
                String p = x.text().substring(1);
                if (Patches.byName(p) == null) {
                    throw new ScenarioError(x.pos(), "unknown patch '" + p + "' (known: " + Patches.names() + ")");
                }
                patches.add(p);
            } else {
                throw new ScenarioError(x.pos(), "expected +patch or a quoted description, found '" + x.text() + "'");
            }
        }
        variants.add(new Scenario.Variant(vn, List.copyOf(patches), desc, t.get(0).pos()));
    }

    private void expect(List<Token> t) {
        need(t, 3, 4, "expect VARIANT VERDICT [KIND]");
        String verdict = t.get(2).text();
        if (!VERDICTS.contains(verdict)) {
            throw new ScenarioError(t.get(2).pos(), "unknown verdict '" + verdict + "' (expected VERIFIED, VIOLATION or INCOMPLETE)");
        }
        String kind = t.size() == 4 ? t.get(3).text() : null;
        if (kind != null && !verdict.equals("VIOLATION")) {
            throw new ScenarioError(t.get(3).pos(), "only a VIOLATION has a kind");
        }
        expectations.add(new Scenario.Expectation(t.get(1).text(), verdict, kind, t.get(0).pos()));
    }

    private void keyValues(List<Token> t, Set<String> keys, boolean onOff) {
        if (t.size() < 2) {
            throw new ScenarioError(t.get(0).pos(), "expected: " + t.get(0).text() + " KEY=VALUE ...");
        }
        for (int i = 1; i < t.size(); i++) {
            Token x = t.get(i);
            int eq = x.text().indexOf('=');
            if (eq < 0) {
                throw new ScenarioError(x.pos(), "expected KEY=VALUE, found '" + x.text() + "'");
            }
            String key = x.text().substring(0, eq);
            String val = x.text().substring(eq + 1);
            if (!keys.contains(key)) {
                throw new ScenarioError(x.pos(), "unknown " + t.get(0).text() + " key '" + key + "' (known: " + String.join(", ", keys.stream().sorted().toList()) + ")");
            }
            Pos vp = new Pos(x.pos().file(), x.pos().line(), x.pos().column() + eq + 1);
            if (onOff) {
                if (!val.equals("on") && !val.equals("off")) {
                    throw new ScenarioError(vp, "expected on or off, found '" + val + "'");
                }
                config.put(key, val.equals("on"));
            } else {
                long n = Numbers.parse(vp, val);
                if (n < 1 || n > 64) {
                    throw new ScenarioError(vp, key + " must be between 1 and 64");
                }
                sizes.put(key, (int) n);
            }
        }
    }

    private void bound(List<Token> t) {
        need(t, 2, 2, "bound preemptions=N|none");
        Token x = t.get(1);
        if (!x.text().startsWith("preemptions=")) {
            throw new ScenarioError(x.pos(), "expected preemptions=N or preemptions=none");
        }
        String v = x.text().substring("preemptions=".length());
        Pos vp = new Pos(x.pos().file(), x.pos().line(), x.pos().column() + "preemptions=".length());
        preemptionBound = v.equals("none") ? -1 : (int) Numbers.parse(vp, v);
    }

    private static void need(List<Token> t, int min, int max, String form) {
        if (t.size() < min || t.size() > max) {
            Pos p = t.size() > max ? t.get(max).pos() : t.get(0).pos();
            throw new ScenarioError(p, "expected: " + form);
        }
    }
}
