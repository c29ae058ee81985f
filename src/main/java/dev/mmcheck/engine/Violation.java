package dev.mmcheck.engine;

/**
 * Something the model declares must never happen. {@code kind} is a stable upper-case code
 * ("DEADLOCK" is the engine's own; the model names the rest), {@code message} says what and where.
 */
public record Violation(String kind, String message) {
    public static final String DEADLOCK = "DEADLOCK";

    @Override
    public String toString() {
        return kind + ": " + message;
    }
}
