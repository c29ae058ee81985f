package dev.mmcheck.mm;

/** A scenario's set-up could not be carried out (it blocked, or broke a rule of the model). */
public final class SetupError extends RuntimeException {
    public SetupError(String message) {
        super(message);
    }
}
