package dev.mmcheck.engine;

/**
 * Names the code location of a step while a trace is drawn (never while exploring): the model
 * supplies it, typically by walking the Java stack for the functions it marks as kernel functions.
 */
@FunctionalInterface
public interface FrameNamer {
    /** Innermost last. */
    String[] frames();
}
