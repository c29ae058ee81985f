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
                if (t.size() < 4 || t.size() > 6) {
                    throw new ScenarioError(t.size() > 6 ? t.get(6).pos() : p, "expected: mmap ADDR LEN rw|ro [private|shared] [FILE[@PGOFF]]");
                }
                boolean shared = false;
                String file = null;
                long pgoff = 0;
                for (int i = 4; i < t.size(); i++) {
                    String w = t.get(i).text();
                    if (w.equals("shared") || w.equals("private")) {
                        shared = w.equals("shared");
                    } else {
                        int at = w.indexOf('@');
                        file = at < 0 ? w : w.substring(0, at);
                        if (at >= 0) {
                            Pos ap = new Pos(t.get(i).pos().file(), t.get(i).pos().line(), t.get(i).pos().column() + at + 1);
                            pgoff = Expr.eval(ap, w.substring(at + 1), env);
                        }
                    }
                }
                yield new Command.Mmap(p, addr(t.get(1), env), len(t.get(2), env), prot(t.get(3)), shared, file, pgoff);
            }
            case "mlock", "munlock" -> {
                need(t, 3, op.text() + " ADDR LEN");
                yield new Command.Mlock(p, addr(t.get(1), env), len(t.get(2), env), op.text().equals("mlock"));
            }
            case "mprotect" -> {
                need(t, 4, "mprotect ADDR LEN rw|ro");
                yield new Command.Mprotect(p, addr(t.get(1), env), len(t.get(2), env), prot(t.get(3)));
            }
            case "truncate" -> {
                need(t, 3, "truncate FILE SIZE");
                yield new Command.Truncate(p, t.get(1).text(), len(t.get(2), env));
            }
            case "exit" -> {
                need(t, 1, "exit");
                yield new Command.Exit(p);
            }
            case "oom-victim" -> {
                need(t, 1, "oom-victim");
                yield new Command.OomVictim(p);
            }
            case "oom-reap" -> {
                need(t, 1, "oom-reap");
                yield new Command.OomReap(p);
            }
            case "process_mrelease" -> {
                need(t, 1, "process_mrelease");
                yield new Command.ProcessMrelease(p);
            }
            case "age" -> {
                need(t, 2, "age ADDR");
                yield new Command.Age(p, addr(t.get(1), env));
            }
            case "remap_file_pages" -> {
                need(t, 4, "remap_file_pages ADDR SIZE PGOFF");
                yield new Command.RemapFilePages(p, addr(t.get(1), env), len(t.get(2), env), len(t.get(3), env));
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
            case "migrate" -> {
                need(t, 2, "migrate ADDR");
                yield new Command.Migrate(p, addr(t.get(1), env));
            }
            case "reclaim" -> {
                need(t, 2, "reclaim ADDR");
                yield new Command.Reclaim(p, addr(t.get(1), env));
            }
            default -> throw new ScenarioError(p, "unknown command '" + op.text()
                    + "' (known: mmap, munmap, mprotect, mlock, munlock, read, write, mremap, truncate, exit, reclaim, age, remap_file_pages, oom-victim, oom-reap, process_mrelease, migrate)");
        };
    }

    private static boolean prot(Token t) {
        if (!t.text().equals("rw") && !t.text().equals("ro")) {
            throw new ScenarioError(t.pos(), "expected rw or ro, found '" + t.text() + "'");
        }
        return t.text().equals("rw");
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
