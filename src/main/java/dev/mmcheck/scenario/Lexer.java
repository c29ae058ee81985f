package dev.mmcheck.scenario;

import java.util.ArrayList;
import java.util.List;

/** Splits a scenario line into words and "quoted strings", dropping # comments. */
final class Lexer {
    private Lexer() {}

    static List<Token> tokens(String file, int line, String s) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        if (s.stripLeading().startsWith("|")) {
            return out;
        }
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '#') {
                break;
            } else if (c == '"') {
                int start = i;
                StringBuilder sb = new StringBuilder();
                i++;
                while (i < s.length() && s.charAt(i) != '"') {
                    sb.append(s.charAt(i++));
                }
                if (i == s.length()) {
                    throw new ScenarioError(new Pos(file, line, start + 1), "unterminated string");
                }
                i++;
                out.add(new Token(sb.toString(), new Pos(file, line, start + 1), true));
            } else {
                int start = i;
                while (i < s.length() && !Character.isWhitespace(s.charAt(i)) && s.charAt(i) != '#') {
                    i++;
                }
                out.add(new Token(s.substring(start, i), new Pos(file, line, start + 1), false));
            }
        }
        return out;
    }
}
