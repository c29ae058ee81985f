package dev.mmcheck.scenario;

/** A scenario that cannot be used as written; the message starts with file:line:column. */
public final class ScenarioError extends RuntimeException {
    public ScenarioError(Pos pos, String message) {
        super(pos + ": " + message);
    }

    public ScenarioError(String message) {
        super(message);
    }
}
