package dev.mmcheck.live;

/**
 * The live harness itself failed (could not start or control the child, or the kernel answered in a
 * way the harness does not understand). Never used for a program's syscall failing: those are results.
 */
public class LiveException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LiveException(String message) {
        super(message);
    }

    public LiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
