package dev.mmcheck.mm.lockdep;

/**
 * What one lock step takes: the lock object, its name in traces, its class and mode, whether it
 * is a trylock (which cannot wait, so it adds no dependency on the locks already held), and the
 * slot the exploration engine knows the lock by ({@link dev.mmcheck.engine.Memory#acquired}).
 */
public record Acquisition(Object lock, String name, LockClass cls, Mode mode, boolean trylock, int slot) {

    /** "pte lock" or "mmap_lock(write)" or "anon_vma->rwsem(read, trylock)". */
    public String classLabel() {
        return label(cls, mode, trylock);
    }

    static String label(LockClass cls, Mode mode, boolean trylock) {
        if (mode == Mode.EXCLUSIVE && !trylock) {
            return cls.name;
        }
        StringBuilder sb = new StringBuilder(cls.name).append('(');
        sb.append(mode.label);
        if (trylock) {
            sb.append(mode.label.isEmpty() ? "" : ", ").append("trylock");
        }
        return sb.append(')').toString();
    }
}
