package dev.mmcheck.mm.lockdep;

/**
 * A lock the running code holds. {@code step}: the index, in the thread's own history, of the step
 * that took it (-1 during set-up); {@code setupFrames}: during set-up, the kernel functions that
 * took it (threads' frames are found later by replaying their history).
 */
public record Held(Acquisition how, int step, String[] setupFrames) {
    public Object lock() {
        return how.lock();
    }

    public LockClass cls() {
        return how.cls();
    }

    public Mode mode() {
        return how.mode();
    }
}
