package dev.mmcheck.live;

/**
 * An address range an operation applies to, in bytes: relative to the start of a named region of the
 * acting process, or (region {@code null}) relative to the harness's base address. For a region, a
 * negative length means "to the end of the region"; an absolute range's length is given to the kernel
 * as it is, so a negative one is a huge unsigned length (how an overflowing range is written).
 * Offsets and lengths need not be page aligned: what the kernel does with an unaligned range is part
 * of what is observed.
 */
public record Range(String region, long offset, long length) {
    /** The whole of a region. */
    public static Range region(String region) {
        return new Range(region, 0, -1);
    }

    /** {@code count} pages of a region starting at page {@code first}. */
    public static Range pages(String region, long first, long count) {
        return new Range(region, first * LiveProgram.PAGE, count * LiveProgram.PAGE);
    }

    /** Any byte range inside (or starting inside) a region. */
    public static Range bytes(String region, long offset, long length) {
        return new Range(region, offset, length);
    }

    /** A byte range relative to the harness's base address, independent of regions. */
    public static Range absolute(long offset, long length) {
        return new Range(null, offset, length);
    }

    @Override
    public String toString() {
        String where = region == null ? "base" : region;
        String len = length >= 0 ? LiveProgram.size(length) : region == null ? "0x" + Long.toHexString(length) : "end";
        if (offset % LiveProgram.PAGE == 0 && length % LiveProgram.PAGE == 0 && length > 0) {
            return where + "[p" + offset / LiveProgram.PAGE + "+" + length / LiveProgram.PAGE + "p]";
        }
        return where + "[" + (offset % LiveProgram.PAGE == 0 ? "p" + offset / LiveProgram.PAGE : "+" + offset) + ", " + len + "]";
    }
}
