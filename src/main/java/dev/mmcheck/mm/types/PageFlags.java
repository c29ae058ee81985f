package dev.mmcheck.mm.types;

import java.util.StringJoiner;

/** The page->flags bits the model uses, and PAGE_FLAGS_CHECK_AT_FREE as of 3.16 .. 5.17. */
public final class PageFlags {
    private PageFlags() {}

    public static final int PG_locked = 0;
    public static final int PG_referenced = 1;
    public static final int PG_uptodate = 2;
    public static final int PG_dirty = 3;
    public static final int PG_lru = 4;
    public static final int PG_active = 5;
    public static final int PG_swapcache = 6;
    public static final int PG_unevictable = 7;
    public static final int PG_mlocked = 8;
    public static final int PG_writeback = 9;
    public static final int PG_swapbacked = 10;

    private static final String[] NAMES = {
        "locked", "referenced", "uptodate", "dirty", "lru", "active", "swapcache", "unevictable", "mlocked",
        "writeback", "swapbacked"
    };

    /** Every bit the model has. */
    public static final long ALL = (1L << NAMES.length) - 1;

    /** The bits' names, in bit order. */
    public static String[] names() {
        return NAMES.clone();
    }

    /** Bits that must be clear when a page is freed (mm/page_alloc.c free_pages_check, <= 5.17). */
    public static final long CHECK_AT_FREE = bit(PG_locked) | bit(PG_lru) | bit(PG_active) | bit(PG_swapcache)
            | bit(PG_unevictable) | bit(PG_mlocked) | bit(PG_writeback);

    public static long bit(int flag) {
        return 1L << flag;
    }

    public static String name(int flag) {
        return NAMES[flag];
    }

    /** "locked|lru" style, as dump_page prints them. */
    public static String names(long flags) {
        StringJoiner j = new StringJoiner("|");
        for (int i = 0; i < NAMES.length; i++) {
            if ((flags & bit(i)) != 0) {
                j.add(NAMES[i]);
            }
        }
        return j.length() == 0 ? "none" : j.toString();
    }
}
