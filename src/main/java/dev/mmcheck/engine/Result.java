package dev.mmcheck.engine;

/**
 * The result of exploring a program.
 *
 * @param found the violation and its schedule (null when none was found)
 * @param coverage in words, what a VERIFIED verdict covers (threads, bounds, reduction)
 * @param stoppedBy for INCOMPLETE, the budget that stopped the run ("time", "states", "memory"); else null
 */
public record Result(Verdict verdict, Found found, Stats stats, String coverage, String stoppedBy) {}
