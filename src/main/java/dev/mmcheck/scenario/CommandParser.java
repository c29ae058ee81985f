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
                if (t.size() < 4 || t.size() > 9) {
                    throw new ScenarioError(t.size() > 9 ? t.get(9).pos() : p,
                            "expected: mmap ADDR LEN rw|ro|none [private|shared] [FILE[@PGOFF]] [fixed] [locked] [populate]");
                }
                boolean shared = false;
                String file = null;
                long pgoff = 0;
                int flags = 0;
                for (int i = 4; i < t.size(); i++) {
                    String w = t.get(i).text();
                    if (w.equals("shared") || w.equals("private")) {
                        shared = w.equals("shared");
                    } else if (w.equals("fixed") || w.equals("locked") || w.equals("populate")) {
                        flags |= w.equals("fixed") ? Command.MAP_FIXED : w.equals("locked") ? Command.MAP_LOCKED : Command.MAP_POPULATE;
                    } else if (file != null) {
                        throw new ScenarioError(t.get(i).pos(), "unexpected '" + w + "' (the file is " + file
                                + "; flags are fixed, locked, populate)");
                    } else {
                        int at = w.indexOf('@');
                        file = at < 0 ? w : w.substring(0, at);
                        if (at >= 0) {
                            Pos ap = new Pos(t.get(i).pos().file(), t.get(i).pos().line(), t.get(i).pos().column() + at + 1);
                            pgoff = Expr.eval(ap, w.substring(at + 1), env);
                        }
                    }
                }
                yield new Command.Mmap(p, addr(t.get(1), env), ulen(t.get(2), env), prot(t.get(3)), shared, file, pgoff, flags);
            }
            case "mlock", "munlock" -> {
                need(t, 3, op.text() + " ADDR LEN");
                yield new Command.Mlock(p, addr(t.get(1), env), ulen(t.get(2), env), op.text().equals("mlock"));
            }
            case "mprotect" -> {
                need(t, 4, "mprotect ADDR LEN rw|ro|none");
                yield new Command.Mprotect(p, addr(t.get(1), env), ulen(t.get(2), env), prot(t.get(3)));
            }
            case "truncate", "ftruncate" -> {
                need(t, 3, op.text() + " FILE SIZE");
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
                yield new Command.Munmap(p, addr(t.get(1), env), ulen(t.get(2), env));
            }
            case "read", "write" -> {
                need(t, 2, op.text() + " ADDR");
                yield new Command.Access(p, addr(t.get(1), env), op.text().equals("write"));
            }
            case "mremap" -> {
                if (t.size() < 4 || t.size() > 6) {
                    throw new ScenarioError(t.size() > 6 ? t.get(6).pos() : p, "expected: mremap ADDR OLD_LEN NEW_LEN [maymove|fixed|dontunmap [NEW_ADDR]]");
                }
                int f = t.size() > 4 ? flags(t.get(4)) : 0;
                long to = t.size() > 5 ? addr(t.get(5), env) : 0;
                if ((f & (Command.MREMAP_FIXED | Command.MREMAP_DONTUNMAP)) != 0 && t.size() < 6) {
                    throw new ScenarioError(t.get(4).pos(), "fixed and dontunmap need a NEW_ADDR");
                }
                yield new Command.Mremap(p, addr(t.get(1), env), ulen(t.get(2), env), ulen(t.get(3), env), f, to);
            }
            case "mlock2" -> {
                if (t.size() != 3 && t.size() != 4) {
                    need(t, 4, "mlock2 ADDR LEN [onfault|0]");
                }
                int f = 0;
                if (t.size() == 4 && !t.get(3).text().equals("0")) {
                    if (!t.get(3).text().equals("onfault")) {
                        throw new ScenarioError(t.get(3).pos(), "expected onfault or 0, found '" + t.get(3).text() + "'");
                    }
                    f = Command.MLOCK_ONFAULT;
                }
                yield new Command.Mlock2(p, addr(t.get(1), env), ulen(t.get(2), env), f);
            }
            case "mlockall" -> {
                if (t.size() < 2) {
                    need(t, 2, "mlockall current|future|onfault ... (or 0)");
                }
                int f = 0;
                for (Token x : t.subList(1, t.size())) {
                    for (String part : x.text().split("\\|")) {
                        switch (part) {
                            case "current" -> f |= Command.MCL_CURRENT;
                            case "future" -> f |= Command.MCL_FUTURE;
                            case "onfault" -> f |= Command.MCL_ONFAULT;
                            case "0" -> { }
                            default -> throw new ScenarioError(x.pos(), "unknown mlockall flag '" + part + "' (known: current, future, onfault, 0)");
                        }
                    }
                }
                yield new Command.Mlockall(p, f);
            }
            case "munlockall" -> {
                need(t, 1, "munlockall");
                yield new Command.Munlockall(p);
            }
            case "madvise" -> {
                need(t, 4, "madvise ADDR LEN dontneed");
                if (!t.get(3).text().equals("dontneed")) {
                    throw new ScenarioError(t.get(3).pos(), "only dontneed is modelled, found '" + t.get(3).text() + "'");
                }
                yield new Command.Madvise(p, addr(t.get(1), env), ulen(t.get(2), env), Command.MADV_DONTNEED);
            }
            case "fork" -> {
                need(t, 2, "fork CHILD");
                yield new Command.Fork(p, t.get(1).text());
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
                    + "' (known: mmap, munmap, mprotect, mlock, mlock2, munlock, mlockall, munlockall, madvise, read, write, mremap,"
                    + " fork, truncate, ftruncate, exit, reclaim, age, remap_file_pages, oom-victim, oom-reap, process_mrelease, migrate)");
        };
    }

    private static int prot(Token t) {
        return switch (t.text()) {
            case "rw" -> Command.PROT_READ | Command.PROT_WRITE;
            case "ro" -> Command.PROT_READ;
            case "none" -> 0;
            default -> throw new ScenarioError(t.pos(), "expected rw or ro (or none), found '" + t.text() + "'");
        };
    }

    private static int flags(Token t) {
        int f = 0;
        for (String part : t.text().split("\\|")) {
            switch (part) {
                case "maymove" -> f |= Command.MREMAP_MAYMOVE;
                case "fixed" -> f |= Command.MREMAP_FIXED;
                case "dontunmap" -> f |= Command.MREMAP_DONTUNMAP;
                case "0", "none" -> { }
                default -> throw new ScenarioError(t.pos(), "unknown mremap flag '" + part + "' (known: maymove, fixed, dontunmap, none)");
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

    /**
     * A length as a system call takes it: any 64-bit value (a huge one, written in hex, is how bad
     * inputs such as an overflowing range are written); the kernel's checks decide.
     */
    private static long ulen(Token t, Map<String, Long> env) {
        return Expr.eval(t.pos(), t.text(), env);
    }

    private static void need(List<Token> t, int n, String form) {
        if (t.size() != n) {
            throw new ScenarioError(t.size() > n ? t.get(n).pos() : t.get(0).pos(), "expected: " + form);
        }
    }
}
