package dev.mmcheck.live;

/** Linux (x86_64, asm-generic) errno names. */
public final class Errno {
    private Errno() {}

    private static final String[] NAMES = {
        null, "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
        "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR",
        "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
        "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP",
    };

    /** The symbolic name of errno {@code e} (e.g. 22 → EINVAL); {@code E<number>} when not in the table. */
    public static String name(int e) {
        if (e > 0 && e < NAMES.length && NAMES[e] != null) {
            return NAMES[e];
        }
        return switch (e) {
            case 75 -> "EOVERFLOW";
            case 95 -> "EOPNOTSUPP";
            case 110 -> "ETIMEDOUT";
            default -> "E" + e;
        };
    }
}
