package dev.mmcheck.engine;

/** The model's own code misbehaved (threw, or was not deterministic): a bug in the model, not a verdict. */
public final class ModelError extends RuntimeException {
    public ModelError(String message, Throwable cause) {
        super(message, cause);
    }
}
