package dev.mmcheck.mm;

/** The kernel releases the seeds were argued about; each one is the set of patches merged by then. */
public enum Generation {
    K3_13("3.13"), K3_16("3.16"), K4_4("4.4"), K5_12("5.12"), K5_16("5.16"), K5_17("5.17"), K5_19("5.19");

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

    public static String versions() {
        StringBuilder sb = new StringBuilder();
        for (Generation g : values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(g.version);
        }
        return sb.toString();
    }
}
