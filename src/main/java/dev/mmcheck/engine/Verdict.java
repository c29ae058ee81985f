package dev.mmcheck.engine;

/** The outcome of a check. */
public enum Verdict {
    /** Every interleaving within the stated bounds was explored and none violated anything. */
    VERIFIED,
    /** An interleaving violates the model's rules; a schedule reproduces it. */
    VIOLATION,
    /** A budget stopped the run first, and nothing was found in what was explored. */
    INCOMPLETE
}
