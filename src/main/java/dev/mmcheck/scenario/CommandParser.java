package dev.mmcheck.scenario;

import java.util.List;
import java.util.Map;

/** Parses one command line of the syscall language. */
final class CommandParser {
    private CommandParser() {}

    static Command parse(List<Token> t, Map<String, Long> env) {
        Token op = t.get(0);
        Pos p = op.pos();
        return switch (op.text()) {
            case "mmap" -> {
                need(t, 4, "mmap ADDR LEN rw|ro");
                String prot = t.get(3).text();
                if (!prot.equals("rw") && !prot.equals("ro")) {
                    throw new ScenarioError(t.get(3).pos(), "expected rw or ro, found '" + prot + "'");
                }
                yield new Command.Mmap(p, addr(t.get(1), env), len(t.get(2), env), prot.equals("rw"));
            }
            case "munmap" -> {
                need(t, 3, "munmap ADDR LEN");
                yield new Command.Munmap(p, addr(t.get(1), env), len(t.get(2), env));
            }
            case "read", "write" -> {
                need(t, 2, op.text() + " ADDR");
                yield new Command.Access(p, addr(t.get(1), env), op.text().equals("write"));
            }
            case "mremap" -> {
                need(t, 6, "mremap ADDR OLD_LEN NEW_LEN maymove|fixed NEW_ADDR");
                yield new Command.Mremap(p, addr(t.get(1), env), len(t.get(2), env), len(t.get(3), env), flags(t.get(4)), addr(t.get(5), env));
            }
            case "reclaim" -> {
                need(t, 2, "reclaim ADDR");
                yield new Command.Reclaim(p, addr(t.get(1), env));
            }
            default -> throw new ScenarioError(p, "unknown command '" + op.text()
                    + "' (known: mmap, munmap, read, write, mremap, reclaim)");
        };
    }

    private static int flags(Token t) {
        int f = 0;
        for (String part : t.text().split("\\|")) {
            switch (part) {
                case "maymove" -> f |= 1;
                case "fixed" -> f |= 2;
                default -> throw new ScenarioError(t.pos(), "unknown mremap flag '" + part + "' (known: maymove, fixed)");
            }
        }
        return f;
    }

    private static long addr(Token t, Map<String, Long> env) {
        long a = Expr.eval(t.pos(), t.text(), env);
        if (a < 0 || a >= (1L << 47)) {
            throw new ScenarioError(t.pos(), "address " + t.text() + " is outside the 47-bit user address space");
        }
        return a;
    }

    private static long len(Token t, Map<String, Long> env) {
        long n = Expr.eval(t.pos(), t.text(), env);
        if (n < 0 || n >= (1L << 47)) {
            throw new ScenarioError(t.pos(), "length " + t.text() + " is out of range");
        }
        return n;
    }

    private static void need(List<Token> t, int n, String form) {
        if (t.size() != n) {
            throw new ScenarioError(t.size() > n ? t.get(n).pos() : t.get(0).pos(), "expected: " + form);
        }
    }
}
