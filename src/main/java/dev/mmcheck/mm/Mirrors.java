package dev.mmcheck.mm;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a model method as the model of one kernel function: the file and version to open beside
 * it. Traces name the steps of a counterexample after these functions.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Mirrors {
    /** The kernel function, as spelt in C. */
    String value();

    /** The source file, e.g. "mm/rmap.c". */
    String file();

    /** The kernel version read, e.g. "5.12.9". */
    String version();
}
