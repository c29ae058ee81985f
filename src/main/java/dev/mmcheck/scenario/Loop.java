package dev.mmcheck.scenario;

import java.util.List;
import java.util.Map;

/** A trailing "for VAR < COUNT" on a scenario line: the line (or section) is repeated COUNT times. */
record Loop(String var, int count) {

    /** The loop a line ends with, or null. */
    static Loop of(List<Token> line, Map<String, Long> env) {
        int n = line.size();
        if (n < 5 || !line.get(n - 4).text().equals("for")) {
            return null;
        }
        Token var = line.get(n - 3);
        if (!var.text().matches("[a-z]") || env.containsKey(var.text())) {
            throw new ScenarioError(var.pos(), "a loop variable is one lower-case letter not already in use, found '" + var.text() + "'");
        }
        if (!line.get(n - 2).text().equals("<")) {
            throw new ScenarioError(line.get(n - 2).pos(), "expected: for " + var.text() + " < COUNT");
        }
        Token count = line.get(n - 1);
        long c = Expr.eval(count.pos(), count.text(), env);
        if (c < 0 || c > 62) {
            throw new ScenarioError(count.pos(), "a loop runs 0 to 62 times, this one " + c);
        }
        return new Loop(var.text(), (int) c);
    }
}
