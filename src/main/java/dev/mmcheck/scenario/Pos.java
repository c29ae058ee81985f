package dev.mmcheck.scenario;

/** A place in a scenario file, for error messages: file:line:column (1-based). */
public record Pos(String file, int line, int column) {
    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
