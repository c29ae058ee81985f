package dev.mmcheck.mm.lockdep;

/** How a lock is held: exclusively (a spinlock, the page lock), or an rwsem for read or write. */
public enum Mode {
    EXCLUSIVE(""), READ("read"), WRITE("write");

    public final String label;

    Mode(String label) {
        this.label = label;
    }
}
