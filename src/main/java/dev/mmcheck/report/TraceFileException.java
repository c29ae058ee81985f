package dev.mmcheck.report;

import java.nio.file.Path;

/**
 * A trace file that cannot be read or is not a valid trace. The message names the file, and where
 * the problem has a place in it, the line and column: {@code "trace.json:3:15: ..."} or
 * {@code "trace.json: ..."}.
 */
public final class TraceFileException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int line;
    private final int column;
    private final String problem;

    /** A problem with the file as a whole. */
    public TraceFileException(Path file, String problem) {
        this(file, -1, -1, problem, null);
    }

    /** A problem at a 1-based line and column (either may be -1: unknown). */
    public TraceFileException(Path file, int line, int column, String problem, Throwable cause) {
        super(format(file, line, column, problem), cause);
        this.file = file;
        this.line = line;
        this.column = column;
        this.problem = problem;
    }

    private static String format(Path file, int line, int column, String problem) {
        StringBuilder b = new StringBuilder(String.valueOf(file));
        if (line > 0) {
            b.append(':').append(line);
            if (column > 0) {
                b.append(':').append(column);
            }
        }
        return b.append(": ").append(problem).toString();
    }

    /** The file, as it was named to {@link TraceFile#read}. */
    public Path file() {
        return file;
    }

    /** 1-based line of the problem, or -1. */
    public int line() {
        return line;
    }

    /** 1-based column of the problem, or -1. */
    public int column() {
        return column;
    }

    /** The message without the file and position. */
    public String problem() {
        return problem;
    }
}
