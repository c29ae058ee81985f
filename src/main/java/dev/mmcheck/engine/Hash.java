package dev.mmcheck.engine;

/** 64-bit mixing for fingerprints (the splitmix64 finaliser). */
final class Hash {
    private Hash() {}

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A slot holding zero contributes nothing, so slots created late change no fingerprint. */
    static long slot(int slot, long value) {
        return value == 0 ? 0 : mix(value + mix(slot + 0x9e3779b97f4a7c15L));
    }

    static long thread(int thread, long nodeHash) {
        return mix(nodeHash ^ mix(0x5851f42d4c957f2dL * (thread + 1)));
    }
}
