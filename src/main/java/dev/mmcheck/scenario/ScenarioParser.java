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
    public static final Set<String> CONFIG_KEYS = Set.of("split-pte-ptlocks", "split-pmd-ptlocks", "move-pmd", "move-pud");
    public static final Set<String> SIZE_KEYS = Set.of("pages", "pud-tables", "pmd-tables", "pte-tables", "vmas", "anon-vmas", "swap-slots", "files", "file-pages", "pcp-pages");
    public static final Set<String> VERDICTS = Set.of("VERIFIED", "VIOLATION", "INCOMPLETE");

    private final String file;
    private String name;
    private String seed = "";
    private String title = "";
    private String kernel = "5.12";
    private final List<String> description = new ArrayList<>();
    private final List<Scenario.Variant> variants = new ArrayList<>();
    private final List<Scenario.Expectation> expectations = new ArrayList<>();
    private final Map<String, Boolean> config = new LinkedHashMap<>();
    private final Map<String, Integer> sizes = new LinkedHashMap<>();
    private int preemptionBound = -1;
    private final List<Scenario.Process> processes = new ArrayList<>();
    private final List<Scenario.Cpu> cpus = new ArrayList<>();
    private final List<Scenario.Param> params = new ArrayList<>();
    private final List<Scenario.File> files = new ArrayList<>();
    private final List<Scenario.Step> timeline = new ArrayList<>();
    private final java.util.Set<String> exited = new java.util.HashSet<>();
    private final Map<String, String> overrides;
    private final Map<String, Long> env = new LinkedHashMap<>();
    private Block block; // the process or cpu section whose indented commands follow

    /** A process or cpu section being read: its header and its command lines, expanded when it ends. */
    private record Block(List<Token> header, List<List<Token>> lines) {}

    private ScenarioParser(String file, Map<String, String> overrides) {
        this.file = file;
        this.overrides = overrides;
    }

    public static Scenario parse(String file, String text) {
        return parse(file, text, Map.of());
    }

    /** Parses with parameter values given on the command line ({@code --param NAME=VALUE}). */
    public static Scenario parse(String file, String text, Map<String, String> params) {
        return new ScenarioParser(file, params).run(text);
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
                    throw new ScenarioError(toks.get(0).pos(), "an indented command must follow a 'process', 'observe' or 'cpu' line");
                }
                block.lines().add(toks);
            } else {
                closeBlock();
                directive(toks);
            }
        }
        closeBlock();
        for (String k : overrides.keySet()) {
            if (params.stream().noneMatch(p -> p.name().equals(k))) {
                throw new ScenarioError("--param " + k + ": " + (name == null ? file : name) + " has no parameter '" + k + "'"
                        + (params.isEmpty() ? " (it has none)" : " (it has: " + String.join(", ", params.stream().map(Scenario.Param::name).toList()) + ")"));
            }
        }
        if (name == null) {
            throw new ScenarioError(first != null ? first : new Pos(file, 1, 1), "missing 'scenario NAME' line");
        }
        if (variants.isEmpty()) {
            variants.add(new Scenario.Variant("base", null, List.of(), "the kernel the scenario names", new Pos(file, 1, 1)));
        }
        for (Scenario.Expectation e : expectations) {
            if (variants.stream().noneMatch(v -> v.name().equals(e.variant()))) {
                throw new ScenarioError(e.pos(), "expectation for unknown variant '" + e.variant() + "'");
            }
        }
        return new Scenario(name, file, seed, title, kernel, List.copyOf(description), List.copyOf(variants),
                List.copyOf(expectations), Map.copyOf(config), Map.copyOf(sizes), preemptionBound,
                List.copyOf(params), List.copyOf(files), List.copyOf(processes), List.copyOf(cpus), List.copyOf(timeline));
    }

    /**
     * Expands the section just read: "cpu NAME PROCESS [for VAR < EXPR]" repeats the whole section
     * with {VAR} in the name replaced; a command line ending in "for VAR < EXPR" repeats that line.
     */
    private void closeBlock() {
        if (block == null) {
            return;
        }
        List<Token> h = block.header();
        if (h.get(0).text().equals("observe")) {
            closeObserve();
            return;
        }
        Loop loop = Loop.of(h, env);
        List<Token> head = loop == null ? h : h.subList(0, h.size() - 4);
        boolean isCpu = head.get(0).text().equals("cpu");
        int copies = loop == null ? 1 : loop.count();
        for (int c = 0; c < copies; c++) {
            if (loop != null) {
                env.put(loop.var(), (long) c);
            }
            List<Command> cmds = new ArrayList<>();
            for (List<Token> whole : block.lines()) {
                Scenario.Expect expect = null;
                List<Token> line = whole;
                int n0 = whole.size();
                if (n0 >= 2 && whole.get(n0 - 2).text().equals("=>")) {
                    if (isCpu) {
                        throw new ScenarioError(whole.get(n0 - 2).pos(), "a cpu's commands race: their outcomes are not checked (=> belongs to process sections)");
                    }
                    expect = expectation(whole.get(n0 - 1));
                    line = whole.subList(0, n0 - 2);
                }
                if (line.isEmpty()) {
                    throw new ScenarioError(whole.get(0).pos(), "a command is missing before =>");
                }
                Loop inner = Loop.of(line, env);
                List<Token> body = inner == null ? line : line.subList(0, line.size() - 4);
                int n = inner == null ? 1 : inner.count();
                for (int j = 0; j < n; j++) {
                    if (inner != null) {
                        env.put(inner.var(), (long) j);
                    }
                    Command cmd = CommandParser.parse(body, env);
                    cmds.add(cmd);
                    if (!isCpu) {
                        call(head.get(1).text(), cmd, expect);
                    }
                }
                if (inner != null) {
                    env.remove(inner.var());
                }
            }
            if (isCpu) {
                addCpu(head, loop == null ? null : loop.var(), c, cmds);
            } else {
                process(head.get(1).text()).setup().addAll(cmds);
            }
        }
        if (loop != null) {
            env.remove(loop.var());
        }
        block = null;
    }

    /** A command of a process section, in timeline order: forks declare their child, exits end the process. */
    private void call(String proc, Command cmd, Scenario.Expect expect) {
        if (exited.contains(proc)) {
            throw new ScenarioError(cmd.pos(), "process '" + proc + "' has exited");
        }
        if (cmd instanceof Command.Fork f) {
            if (process(f.child()) != null) {
                throw new ScenarioError(f.pos(), "process '" + f.child() + "' already exists");
            }
            processes.add(new Scenario.Process(f.child(), new ArrayList<>(), f.pos(), proc));
        }
        if (cmd instanceof Command.Exit) {
            exited.add(proc);
        }
        timeline.add(new Scenario.Call(proc, cmd, expect));
    }

    private Scenario.Expect expectation(Token t) {
        String x = t.text();
        if (x.equals("ok") || x.matches("E[A-Z0-9]+") || x.matches("SIG(SEGV|BUS)(/[A-Z_]+)?")) {
            return new Scenario.Expect(x, null, t.pos());
        }
        return new Scenario.Expect(x, Expr.eval(t.pos(), x, env), t.pos());
    }

    /** The checks under an observe line. */
    private void closeObserve() {
        Token label = block.header().get(1);
        List<Scenario.Check> checks = new ArrayList<>();
        for (List<Token> line : block.lines()) {
            Token kind = line.get(0);
            if (line.size() < 3) {
                throw new ScenarioError(kind.pos(), "expected: pages|vmlck|vmas|locked PROCESS ...");
            }
            String proc = line.get(1).text();
            if (process(proc) == null || exited.contains(proc)) {
                throw new ScenarioError(line.get(1).pos(), "no live process '" + proc + "' at this point");
            }
            List<String> args = new ArrayList<>();
            List<Long> nums = new ArrayList<>();
            switch (kind.text()) {
                case "pages" -> {
                    nums.add(Expr.eval(line.get(2).pos(), line.get(2).text(), env));
                    for (Token c : line.subList(3, line.size())) {
                        if (!c.text().matches("\\.|\\?|[afz?][0-9]*M?U?")) {
                            throw new ScenarioError(c.pos(), "a page is . (absent), ? (anything) or a|f|z (anon, file, zero page) with an"
                                    + " optional identity number and M (PG_mlocked) U (unevictable), e.g. a1MU; found '" + c.text() + "'");
                        }
                        args.add(c.text());
                    }
                }
                case "vmlck", "locked" -> {
                    int want = kind.text().equals("vmlck") ? 3 : 4;
                    if (line.size() != want) {
                        throw new ScenarioError(kind.pos(), kind.text().equals("vmlck") ? "expected: vmlck PROCESS SIZE" : "expected: locked PROCESS ADDR SIZE");
                    }
                    for (Token x : line.subList(2, line.size())) {
                        nums.add(Expr.eval(x.pos(), x.text(), env));
                    }
                }
                case "vmas" -> {
                    for (Token v : line.subList(2, line.size())) {
                        String[] f = v.text().split(":");
                        if (f.length < 3 || f.length > 4 || !f[2].matches("[r-][w-][x-][ps]") || (f.length == 4 && !f[3].equals("lo"))) {
                            throw new ScenarioError(v.pos(), "a vma is START:END:PERMS[:lo], e.g. 0x10000000:0x10004000:rw-p:lo");
                        }
                        nums.add(Expr.eval(v.pos(), f[0], env));
                        nums.add(Expr.eval(v.pos(), f[1], env));
                        args.add(f.length == 4 ? f[2] + ":lo" : f[2]);
                    }
                }
                default -> throw new ScenarioError(kind.pos(), "unknown check '" + kind.text() + "' (known: pages, vmlck, vmas, locked)");
            }
            checks.add(new Scenario.Check(kind.text(), proc, List.copyOf(args), List.copyOf(nums), kind.pos()));
        }
        timeline.add(new Scenario.Observe(label.text(), List.copyOf(checks), block.header().get(0).pos()));
        block = null;
    }

    private void addCpu(List<Token> t, String var, int index, List<Command> cmds) {
        need(t, 3, 3, "cpu NAME PROCESS [for VAR < COUNT]");
        String c = var == null ? t.get(1).text() : t.get(1).text().replace("{" + var + "}", Integer.toString(index));
        if (cpus.stream().anyMatch(x -> x.name().equals(c))) {
            throw new ScenarioError(t.get(1).pos(), "cpu '" + c + "' is declared twice" + (var == null ? "" : " (put {" + var + "} in the name)"));
        }
        if (process(t.get(2).text()) == null) {
            throw new ScenarioError(t.get(2).pos(), "unknown process '" + t.get(2).text() + "' (declare it with 'process' first)");
        }
        if (cpus.size() == 62) {
            throw new ScenarioError(t.get(0).pos(), "at most 62 CPUs");
        }
        cpus.add(new Scenario.Cpu(c, t.get(2).text(), List.copyOf(cmds), t.get(0).pos()));
    }

    private void param(List<Token> t) {
        need(t, 3, 5, "param NAME DEFAULT [MIN..MAX] [\"description\"]");
        String pn = t.get(1).text();
        if (env.containsKey(pn)) {
            throw new ScenarioError(t.get(1).pos(), "parameter '" + pn + "' is declared twice");
        }
        long min = 0;
        long max = 62;
        int next = 3;
        if (t.size() > next && !t.get(next).quoted()) {
            Token r = t.get(next++);
            int dots = r.text().indexOf("..");
            if (dots < 0) {
                throw new ScenarioError(r.pos(), "expected a range MIN..MAX or a quoted description, found '" + r.text() + "'");
            }
            min = Expr.eval(r.pos(), r.text().substring(0, dots), env);
            max = Expr.eval(r.pos(), r.text().substring(dots + 2), env);
            if (min < 0 || max > 62 || min > max) {
                throw new ScenarioError(r.pos(), "a parameter's range lies within 0..62, found " + min + ".." + max);
            }
        }
        if (t.size() > next + 1 || (t.size() == next + 1 && !t.get(next).quoted())) {
            throw new ScenarioError(t.get(t.size() - 1).pos(), "expected: param NAME DEFAULT [MIN..MAX] [\"description\"]");
        }
        long def = Expr.eval(t.get(2).pos(), t.get(2).text(), env);
        if (def < min || def > max) {
            throw new ScenarioError(t.get(2).pos(), "default " + def + " lies outside " + min + ".." + max);
        }
        String given = overrides.get(pn);
        long value = def;
        if (given != null) {
            try {
                value = Expr.eval(new Pos("--param " + pn, 1, 1), given, Map.of());
            } catch (ScenarioError e) {
                throw new ScenarioError("--param " + pn + "=" + given + ": not a number");
            }
            if (value < min || value > max) {
                throw new ScenarioError("--param " + pn + "=" + given + ": must be between " + min + " and " + max);
            }
        }
        env.put(pn, value);
        params.add(new Scenario.Param(pn, def, min, max, value, t.size() == next + 1 ? t.get(next).text() : ""));
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
            case "kernel" -> {
                need(t, 2, 2, "kernel VERSION");
                kernel = generation(t.get(1));
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
            case "param" -> param(t);
            case "file" -> {
                need(t, 3, 3, "file NAME PAGES");
                String fn = t.get(1).text();
                if (files.stream().anyMatch(f -> f.name().equals(fn))) {
                    throw new ScenarioError(t.get(1).pos(), "file '" + fn + "' is declared twice");
                }
                long pages = Expr.eval(t.get(2).pos(), t.get(2).text(), env);
                if (pages < 1 || pages > 64) {
                    throw new ScenarioError(t.get(2).pos(), "a file has 1 to 64 pages");
                }
                files.add(new Scenario.File(fn, pages, t.get(0).pos()));
            }
            case "process" -> {
                need(t, 2, 2, "process NAME");
                String p = t.get(1).text();
                block = new Block(t, new ArrayList<>());
                if (process(p) == null) {
                    processes.add(new Scenario.Process(p, new ArrayList<>(), d.pos(), null));
                } else if (exited.contains(p)) {
                    throw new ScenarioError(t.get(1).pos(), "process '" + p + "' has exited");
                }
                // a process declared before goes on where it left off (its steps interleave with the others' in file order)
            }
            case "observe" -> {
                need(t, 2, 2, "observe LABEL");
                String label = t.get(1).text();
                if (timeline.stream().anyMatch(x -> x instanceof Scenario.Observe o && o.label().equals(label))) {
                    throw new ScenarioError(t.get(1).pos(), "observation '" + label + "' is declared twice");
                }
                block = new Block(t, new ArrayList<>());
            }
            case "cpu" -> {
                if (t.size() != 3 && t.size() != 7) {
                    need(t, 3, 3, "cpu NAME PROCESS [for VAR < COUNT]");
                }
                block = new Block(t, new ArrayList<>());
            }
            default -> throw new ScenarioError(d.pos(), "unknown directive '" + d.text()
                    + "' (expected scenario, seed, title, kernel, variant, expect, param, config, size, bound, file, process, observe or cpu;"
                    + " commands must be indented under a process or cpu)");
        }
    }

    private static String generation(Token t) {
        if (dev.mmcheck.mm.Generation.of(t.text()) == null) {
            throw new ScenarioError(t.pos(), "unknown kernel '" + t.text() + "' (modelled: " + dev.mmcheck.mm.Generation.versions() + ")");
        }
        return t.text();
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
        String k = null;
        for (int i = 2; i < t.size(); i++) {
            Token x = t.get(i);
            if (x.quoted()) {
                desc = x.text();
            } else if (x.text().startsWith("kernel=")) {
                Pos vp = new Pos(x.pos().file(), x.pos().line(), x.pos().column() + 7);
                k = generation(new Token(x.text().substring(7), vp, false));
            } else if (x.text().startsWith("+") || x.text().startsWith("-")) {
                String p = x.text().substring(1);
                if (Patches.byName(p) == null) {
                    throw new ScenarioError(x.pos(), "unknown patch '" + p + "' (known: " + Patches.names() + ")");
                }
                patches.add(x.text());
            } else {
                throw new ScenarioError(x.pos(), "expected kernel=VERSION, +patch, -patch or a quoted description, found '" + x.text() + "'");
            }
        }
        variants.add(new Scenario.Variant(vn, k, List.copyOf(patches), desc, t.get(0).pos()));
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
                long n = Expr.eval(vp, val, env);
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
        preemptionBound = v.equals("none") ? -1 : (int) Expr.eval(vp, v, env);
    }

    private static void need(List<Token> t, int min, int max, String form) {
        if (t.size() < min || t.size() > max) {
            Pos p = t.size() > max ? t.get(max).pos() : t.get(0).pos();
            throw new ScenarioError(p, "expected: " + form);
        }
    }
}
