package dev.mmcheck.engine;

/** Minimal shared variables and locks over the engine API, for engine tests. */
final class Toy {
    private Toy() {}

    /** A memory of slots named {@code names}, numbered in that order from 0. */
    static Memory memory(String... names) {
        Layout layout = new Layout();
        for (String name : names) {
            layout.alloc(name);
        }
        return new Memory(layout);
    }

    static Op read(int slot) {
        return new Op() {
            public long run(Memory m) { return m.read(slot); }
            public String describe(long r) { return "read x" + slot + " = " + r; }
        };
    }

    static Op write(int slot, long v) {
        return new Op() {
            public long run(Memory m) { m.write(slot, v); return 0; }
            public String describe(long r) { return "x" + slot + " = " + v; }
        };
    }

    static Op lock(int slot) {
        return new Op() {
            public boolean enabled(Memory m) { return m.read(slot) == 0; }
            public int guardLock() { return slot; }
            public long run(Memory m) { m.write(slot, 1); m.acquired(slot, false); return 0; }
            public String describe(long r) { return "lock L" + slot; }
        };
    }

    /** Takes the lock if it is free; returns 1 if it did. Never waits. */
    static Op trylock(int slot) {
        return new Op() {
            public long run(Memory m) {
                if (m.read(slot) != 0) {
                    return 0;
                }
                m.write(slot, 1);
                m.acquired(slot, false);
                return 1;
            }
            public String describe(long r) { return "trylock L" + slot + ": " + (r == 1 ? "taken" : "busy"); }
        };
    }

    static Op unlock(int slot) {
        return new Op() {
            public long run(Memory m) { m.write(slot, 0); m.released(slot); return 0; }
            public String describe(long r) { return "unlock L" + slot; }
        };
    }

    /** A reader of a reader-writer lock: readers add 2, a writer ({@link #lock}) holds 1. */
    static Op readLock(int slot) {
        return new Op() {
            public boolean enabled(Memory m) { return (m.read(slot) & 1) == 0; }
            public int guardLock() { return slot; }
            public boolean guardLockShared() { return true; }
            public long run(Memory m) { m.write(slot, m.read(slot) + 2); m.acquired(slot, true); return 0; }
            public String describe(long r) { return "read_lock L" + slot; }
        };
    }

    static Op readUnlock(int slot) {
        return new Op() {
            public long run(Memory m) { m.write(slot, m.read(slot) - 2); m.released(slot); return 0; }
            public String describe(long r) { return "read_unlock L" + slot; }
        };
    }

    static Op add(int slot, long d) {
        return new Op() {
            public long run(Memory m) { m.add(slot, d); return 0; }
            public String describe(long r) { return "x" + slot + " += " + d; }
        };
    }

    static Op addAndSign(int slot, long d) {
        return new Op() {
            public long run(Memory m) { return m.addAndSign(slot, d); }
            public String describe(long r) { return "sign(x" + slot + " += " + d + ") = " + r; }
        };
    }

    static Op signAndAdd(int slot, long d) {
        return new Op() {
            public long run(Memory m) { return m.signAndAdd(slot, d); }
            public String describe(long r) { return "sign(x" + slot + ") = " + r + ", x" + slot + " += " + d; }
        };
    }

    static Op addUnlessZero(int slot, long d) {
        return new Op() {
            public long run(Memory m) { return m.addUnlessZero(slot, d) ? 1 : 0; }
            public String describe(long r) { return "x" + slot + " != 0 && x" + slot + " += " + d + ": " + r; }
        };
    }

    /** Waits until the slot holds {@code v}; the step itself touches nothing. */
    static Op await(int slot, long v) {
        return new Op() {
            public boolean enabled(Memory m) { return m.read(slot) == v; }
            public long run(Memory m) { return 0; }
            public String describe(long r) { return "await x" + slot + " == " + v; }
        };
    }
}
