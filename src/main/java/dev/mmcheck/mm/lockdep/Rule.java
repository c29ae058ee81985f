package dev.mmcheck.mm.lockdep;

import dev.mmcheck.engine.Memory;

/**
 * "Protected by": which lock must be held to change a field, like a lockdep_assert_held() at every
 * store. {@link #judge} sees the state after the step, the value before, and the locks the writing
 * thread held; it returns null when the change is allowed.
 */
public interface Rule {
    /** The field, as the kernel names it: "vma->vm_flags". */
    String field();

    /** The lock that protects it: "mmap_lock held for write". */
    String guard();

    /** Known places where the kernel changes the field without that lock, knowingly (may be empty). */
    default String exceptions() {
        return "";
    }

    Outcome judge(Memory m, int slot, long before, Held[] held);

    /** A change made without the lock: either a known exception (named) or a violation. */
    record Outcome(String exception, String message) {
        public static Outcome violation(String message) {
            return new Outcome(null, message);
        }

        public static Outcome knownException(String name, String message) {
            return new Outcome(name, message);
        }

        public boolean isViolation() {
            return exception == null;
        }
    }

    static String heldText(Held[] held) {
        if (held.length == 0) {
            return "no lock";
        }
        StringBuilder sb = new StringBuilder();
        for (Held h : held) {
            sb.append(sb.isEmpty() ? "" : ", ").append(h.how().name());
            if (h.mode() != Mode.EXCLUSIVE) {
                sb.append(" (").append(h.mode().label).append(')');
            }
        }
        return sb.toString();
    }
}
