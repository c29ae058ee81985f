package dev.mmcheck.scenario;

import dev.mmcheck.live.Errno;
import dev.mmcheck.mm.types.Pgtable;

/**
 * What one command of the syscall language gave: the system call's return value, or -1 with an
 * errno name, or (for a user read or write) the signal the access raised. Values are as the kernel
 * returns them (an mmap's address, a fork's child); a fault's address is the page the access
 * touched.
 */
public record Outcome(long value, String errno, Fault fault) {
    /** A user access the kernel could not resolve: SIGSEGV (SEGV_MAPERR, SEGV_ACCERR) or SIGBUS (BUS_ADRERR). */
    public record Fault(String signal, String code, long address) {
        @Override
        public String toString() {
            return signal + "/" + code + " at " + Pgtable.hex(address);
        }
    }

    public static final Outcome ZERO = new Outcome(0, null, null);

    /** From a kernel return value: -4095..-1 is -errno. */
    public static Outcome of(long ret) {
        if (ret < 0 && ret >= -4095) {
            return new Outcome(-1, Errno.name((int) -ret), null);
        }
        return ret == 0 ? ZERO : new Outcome(ret, null, null);
    }

    public static Outcome fault(String signal, String code, long address) {
        return new Outcome(-1, null, new Fault(signal, code, address));
    }

    public boolean failed() {
        return errno != null || fault != null;
    }

    /** "0", "0x10000000", "-1 EINVAL", "SIGSEGV/SEGV_MAPERR at 0x10002000". */
    @Override
    public String toString() {
        if (fault != null) {
            return fault.toString();
        }
        if (errno != null) {
            return "-1 " + errno;
        }
        return value >= 0x10000 ? Pgtable.hex(value) : Long.toString(value);
    }
}
