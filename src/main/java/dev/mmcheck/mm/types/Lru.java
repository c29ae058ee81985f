package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;

/** The LRU lists of the one node and memcg modelled, and lru_lock. Membership is kept in each page. */
public final class Lru {
    public static final int NONE = 0;
    public static final int INACTIVE_ANON = 1;
    public static final int ACTIVE_ANON = 2;
    public static final int INACTIVE_FILE = 3;
    public static final int ACTIVE_FILE = 4;
    public static final int UNEVICTABLE = 5;
    private static final String[] NAMES = {"none", "inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable"};

    public final SpinLock lruLock;

    public Lru(Kernel k) {
        this.lruLock = new SpinLock(k, "lru_lock");
    }

    public static String name(long list) {
        return NAMES[(int) list];
    }
}
