package dev.mmcheck.mm.types;

import dev.mmcheck.mm.Kernel;

/** A swap device: per slot, the swap_map count and the swap-cache page (pfn + 1, or 0). */
public final class SwapSpace {
    public final int[] map;
    public final int[] cache;

    public SwapSpace(Kernel k, int slots) {
        map = new int[slots];
        cache = new int[slots];
        for (int i = 0; i < slots; i++) {
            map[i] = k.layout.alloc("swap_map[" + i + "]");
            cache[i] = k.layout.alloc("swap_cache[" + i + "]");
        }
    }
}
