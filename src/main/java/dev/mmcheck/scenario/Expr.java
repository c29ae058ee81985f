package dev.mmcheck.scenario;

import java.util.Map;

/**
 * Numeric expressions in scenario files, written without spaces: numbers (4096, 0x200000, 4K, 2M,
 * 1G), parameters ($pages), loop variables (i), + - * / % and parentheses: 0x40000000+i*4K.
 */
final class Expr {
    private final Pos pos;
    private final String s;
    private final Map<String, Long> env;
    private int i;

    private Expr(Pos pos, String s, Map<String, Long> env) {
        this.pos = pos;
        this.s = s;
        this.env = env;
    }

    static long eval(Pos pos, String s, Map<String, Long> env) {
        Expr e = new Expr(pos, s, env);
        long v = e.sum();
        if (e.i != s.length()) {
            throw e.error("unexpected '" + s.charAt(e.i) + "'");
        }
        return v;
    }

    private long sum() {
        long v = product();
        while (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            char op = s.charAt(i++);
            long r = product();
            v = op == '+' ? Math.addExact(v, r) : Math.subtractExact(v, r);
        }
        return v;
    }

    private long product() {
        long v = atom();
        while (i < s.length() && (s.charAt(i) == '*' || s.charAt(i) == '/' || s.charAt(i) == '%')) {
            char op = s.charAt(i++);
            long r = atom();
            if (op != '*' && r == 0) {
                throw error("division by zero");
            }
            v = op == '*' ? Math.multiplyExact(v, r) : op == '/' ? v / r : v % r;
        }
        return v;
    }

    private long atom() {
        if (i >= s.length()) {
            throw error("expression ends too early");
        }
        char c = s.charAt(i);
        if (c == '(') {
            i++;
            long v = sum();
            if (i >= s.length() || s.charAt(i) != ')') {
                throw error("missing ')'");
            }
            i++;
            return v;
        }
        int start = i;
        if (c == '$' || Character.isLetter(c)) {
            i++;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '-')) {
                i++;
            }
            String name = s.substring(c == '$' ? start + 1 : start, i);
            Long v = env.get(name);
            if (v == null) {
                throw new ScenarioError(at(start), "unknown " + (c == '$' ? "parameter '$" : "name '") + name + "'");
            }
            return v;
        }
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)))) {
            i++;
        }
        if (start == i) {
            throw error("expected a number");
        }
        return Numbers.parse(at(start), s.substring(start, i));
    }

    private Pos at(int offset) {
        return new Pos(pos.file(), pos.line(), pos.column() + offset);
    }

    private ScenarioError error(String msg) {
        return new ScenarioError(at(i), msg + " in '" + s + "'");
    }
}
