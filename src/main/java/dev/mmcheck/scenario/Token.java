package dev.mmcheck.scenario;

/** A word or a quoted string of a scenario line. */
record Token(String text, Pos pos, boolean quoted) {}
