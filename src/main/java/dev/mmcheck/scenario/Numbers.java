package dev.mmcheck.scenario;

/** Numbers as scenarios write them: 4096, 0x200000, 2M, 1G, 4K. */
final class Numbers {
    private Numbers() {}

    static long parse(Pos pos, String s) {
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                return Long.parseUnsignedLong(s.substring(2), 16);
            }
            long mult = 1;
            char last = s.isEmpty() ? ' ' : Character.toUpperCase(s.charAt(s.length() - 1));
            if (last == 'K' || last == 'M' || last == 'G') {
                mult = last == 'K' ? 1L << 10 : last == 'M' ? 1L << 20 : 1L << 30;
                s = s.substring(0, s.length() - 1);
            }
            return Math.multiplyExact(Long.parseLong(s), mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ScenarioError(pos, "not a number: '" + s + "' (write 4096, 0x200000, 4K, 2M or 1G)");
        }
    }
}
