package dev.mmcheck.cli;

/** A flag or argument that parses but makes no sense (exit 2); the message names the flag. */
final class UsageError extends RuntimeException {
    UsageError(String message) {
        super(message);
    }
}
