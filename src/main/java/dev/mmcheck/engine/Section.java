package dev.mmcheck.engine;

import it.unimi.dsi.fastutil.ints.IntArrayList;

/**
 * A critical section followed from the step that took its lock, for sleep sets: when every state
 * from that step to the release has one way out (the thread's own steps, or other threads' local
 * steps), taking the lock stands for the whole section, and a sibling that runs a section of the
 * same lock need not wake it for the lock alone ({@link Footprint#asSection}).
 *
 * <p>The lock must be one the thread waits for (its step's guard), not tried: a trylock that fails
 * while another CPU holds the lock goes another way, which the section does not stand for. And the
 * section must leave the lock's slots (the lock's own and those marked {@link Layout#lockState})
 * as it found them, as a lock is whenever it is free.
 */
final class Section {
    final int thread;
    private final int lock;
    private final int mark;
    private int[] lockSlots;
    /** What the section's steps read and wrote so far (adds counted as both). */
    private final IntArrayList reads = new IntArrayList();
    private final IntArrayList writes = new IntArrayList();
    private boolean complete;

    private Section(int thread, int lock, Footprint taking, int mark) {
        this.thread = thread;
        this.lock = lock;
        this.mark = mark;
        this.lockSlots = new int[] {lock};
        addAll(taking);
    }

    private void addAll(Footprint f) {
        reads.addElements(reads.size(), f.readSet());
        writes.addElements(writes.size(), f.writeSet());
    }

    /**
     * A section begun by thread {@code t}'s step just run in {@code ex}, or null if that step did
     * not wait for and take exactly one lock.
     */
    static Section begunBy(int t, Execution ex) {
        IntArrayList events = ex.mem.lockEvents();
        if (events.size() != 1 || (events.getInt(0) & 2) != 0) {
            return null;
        }
        int lock = events.getInt(0) >>> 2;
        PathNode from = ex.from(t);
        if (from == null || from.op.guardLock() != lock) {
            return null;
        }
        return new Section(t, lock, ex.lastFootprint, ex.lastStepMark());
    }

    /** Adds the step thread {@link #thread} just ran in {@code ex}; returns whether it ended the section. */
    boolean add(Execution ex) {
        addAll(ex.lastFootprint);
        if (!ex.mem.tookOrReleased(lock)) {
            return false;
        }
        IntArrayList events = ex.mem.lockEvents();
        if (events.size() != 1 || (events.getInt(0) & 2) == 0) {
            return true; // took it again, or more than that: not a section this follows
        }
        lockSlots = lockSlotsLeftAsFound(lock, reads, writes, ex.mem, mark);
        complete = lockSlots != null;
        return true;
    }

    /** The footprint the lock-taking step stands for in sleep sets: the whole section, if it was followed to its end; else null. */
    Footprint footprint() {
        return complete ? new Footprint(reads.toIntArray(), writes.toIntArray()).asSection(lock, lockSlots) : null;
    }

    /**
     * The slots of {@code lock} that a section of it, which read {@code reads} and wrote
     * {@code writes}, touched: the lock's own, and those marked as its ({@link Layout#lockState});
     * null if the section left one of them other than it was at {@code mark} of {@code mem}.
     */
    static int[] lockSlotsLeftAsFound(int lock, IntArrayList reads, IntArrayList writes, Memory mem, int mark) {
        IntArrayList out = IntArrayList.of(lock);
        for (IntArrayList slots : java.util.List.of(reads, writes)) {
            for (int i = 0; i < slots.size(); i++) {
                int s = slots.getInt(i);
                if (mem.layout().isLockState(s) && !out.contains(s)) {
                    out.add(s);
                }
            }
        }
        for (int i = 0; i < out.size(); i++) {
            if (mem.valueAt(mark, out.getInt(i)) != mem.value(out.getInt(i))) {
                return null;
            }
        }
        return out.toIntArray();
    }
}
