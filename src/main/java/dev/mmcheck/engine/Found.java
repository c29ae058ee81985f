package dev.mmcheck.engine;

/** A violation and the schedule that reaches it. */
public record Found(Violation violation, Schedule schedule) {}
