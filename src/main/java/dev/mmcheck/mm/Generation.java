package dev.mmcheck.mm;

/**
 * The kernel releases the seeds were argued about, and the 6.x series (the kernels conform runs
 * against); each one is the set of patches merged by then.
 */
public enum Generation {
    K3_13("3.13"), K3_16("3.16"), K4_4("4.4"), K5_12("5.12"), K5_16("5.16"), K5_17("5.17"), K5_19("5.19"), K6("6.x");

    public final String version;

    Generation(String version) {
        this.version = version;
    }

    public static Generation of(String version) {
        for (Generation g : values()) {
            if (g.version.equals(version)) {
                return g;
            }
        }
        return null;
    }

    /**
     * The generation whose syscall semantics a running kernel has, from its release string
     * ({@code uname -r}, e.g. "6.18.44-fc"): the newest modelled generation not newer than it
     * (every 6.y is "6.x"); the oldest one for a release older than every generation; null if the
     * string does not start with a number.
     */
    public static Generation ofRelease(String release) {
        Generation exact = of(release);
        if (exact != null) {
            return exact;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)(?:\\.(\\d+))?(?:[.\\-+_~].*)?$").matcher(release.strip());
        if (!m.matches()) {
            return null;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
        if (major >= 6) {
            return K6;
        }
        Generation best = values()[0];
        for (Generation g : values()) {
            if (g == K6) {
                continue;
            }
            String[] v = g.version.split("\\.");
            int gm = Integer.parseInt(v[0]);
            int gn = Integer.parseInt(v[1]);
            if (gm < major || (gm == major && gn <= minor)) {
                best = g;
            }
        }
        return best;
    }

    public static String versions() {
        StringBuilder sb = new StringBuilder();
        for (Generation g : values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(g.version);
        }
        return sb.toString();
    }
}
