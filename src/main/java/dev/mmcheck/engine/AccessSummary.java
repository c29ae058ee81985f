package dev.mmcheck.engine;

import it.unimi.dsi.fastutil.ints.IntList;
import java.util.Arrays;

/**
 * Which slots each thread has been seen to read and write, and which the step checks read: the
 * assumptions behind local steps.
 *
 * <p>A step is local when no other thread unfinished writes what the step reads or touches what it
 * writes, except under a lock the step's thread holds and excludes it from (then it cannot, for as
 * long as this thread does not move) or only at depths of its history it is already past (its
 * history only grows: what it did there is done), and no step check reads what it writes. A local step
 * commutes with everything the other threads can still do and changes nothing a check sees, so
 * {the step} is a persistent set: the
 * explorer takes it without trying the other threads from that state (Godefroid's persistent sets,
 * with the visibility proviso; the state graph has no cycles, so no step is ignored for ever).
 *
 * <p>What the threads touch is learned, not declared: before the search, from executions with at
 * most one preemption and random ones; during it, from every step taken. Each "yes, local" is
 * remembered with what it relied on: that a thread makes no such access from some depth of its
 * history on, or none with fewer locks. Learning something that breaks one of those (another
 * thread writing, from that depth on, a slot a local step read, ...) contradicts the run, which
 * then proves nothing and is started again. Anything else learned leaves every yes true of what
 * the threads really do, so a run that ends uncontradicted took only steps that were local; and up
 * to the first step outside the summary, the reduced search reorders only steps that commute, so
 * it reaches that step too and learns it: the summary covers every reachable step.
 */
final class AccessSummary {
    private final int n;
    // Per thread, per slot it read (wrote): the locks it held at every such access (Lockset); null
    // for a slot it never read (wrote). Arrays are replaced, never changed in place.
    private final int[][][] readLocks;
    private final int[][][] writeLocks;
    // Per thread, per slot: the greatest depth in the thread's code (PathNode.depth of the node
    // the step was taken from) of a read (write) of it, -1 for none. A thread deeper than that has
    // made all of those accesses: they are its past, and cannot get in the way of another's step.
    private final long[][] readDepth;
    private final long[][] writeDepth;
    // Per thread, per slot it read (wrote): the locks it had taken before every such access, each at
    // the least depth (Taken); null for a slot it never read (wrote). A thread that has yet to take
    // such a lock cannot make the access while another holds the lock in a mode that keeps it out.
    private final Taken[][] readTaken;
    private final Taken[][] writeTaken;
    private long[] visible = new long[0];
    // What decisions relied on, per thread and slot: that the thread makes no read (write) of it
    // from some depth of its history on (the least such depth, NONE for none), or that every
    // read (write) it makes of it keeps at least the locks the summary has for it (any depth).
    // Arrays are replaced, never changed in place.
    private final long[][] noReadFrom;
    private final long[][] noWriteFrom;
    private final long[][] lockedReads;
    private final long[][] lockedWrites;
    // Decisions that relied on a lock still to be taken ahead of a thread's reads (writes) of a slot:
    // which taking, and the least and greatest depth of the thread they were taken at.
    private final Reliance[][] barrierReads;
    private final Reliance[][] barrierWrites;
    private static final long NONE = Long.MAX_VALUE;

    private record Reliance(int key, long from, long to) {
        Reliance widened(long depth) {
            return depth >= from && depth <= to ? this : new Reliance(key, Math.min(from, depth), Math.max(to, depth));
        }
    }
    /**
     * Threads whose accesses turned up deeper than a decision relied on: their paths vary too much
     * in length for depths to tell past from future (a loop that retries, say). For them every
     * access is taken as still to come, so each thread costs at most one such restart.
     */
    private volatile boolean[] depthless;
    /** Threads whose accesses turned up with a lock taken later than a decision relied on: no barriers for them (one restart each). */
    private volatile boolean[] barrierless;
    private final boolean barriers;
    /**
     * How much deeper than the deepest known access a thread may still make it
     * ({@link Options#pastSlack}): paths that differ by a failed trylock or a skipped step shift
     * everything after by a step or two, and taking an access for past as soon as the thread is one
     * step beyond it would restart the run each time such a path turns up (s000 pages=2: 2 restarts
     * at 0, none at 8, and about 10% more states).
     */
    private final int slack;
    private long[] reliedVisible = new long[0];
    // Per thread, the locks it has been seen to hold while its step could wait, or when it finished:
    // its critical sections of those locks are not atomic. And the locks decisions relied on no
    // thread doing that for.
    private final long[][] waitsHolding;
    private long[] reliedNoWait = new long[0];
    /** Odd while the summary is being changed; a decision that saw it change is not taken. */
    private volatile long version;
    private volatile boolean contradicted;

    AccessSummary(int threads, int slack) {
        this(threads, slack, true);
    }

    /** {@code barriers}: whether a lock another thread has yet to take keeps its accesses out ({@link Taken}). */
    AccessSummary(int threads, int slack, boolean barriers) {
        this.n = threads;
        this.barriers = barriers;
        this.slack = slack;
        this.readLocks = new int[threads][0][];
        this.writeLocks = new int[threads][0][];
        this.readDepth = new long[threads][0];
        this.writeDepth = new long[threads][0];
        this.readTaken = new Taken[threads][0];
        this.writeTaken = new Taken[threads][0];
        this.depthless = new boolean[threads];
        this.barrierless = new boolean[threads];
        Arrays.fill(barrierless, !barriers); // switched off: no thread's takings bar anything
        this.barrierReads = new Reliance[threads][0];
        this.barrierWrites = new Reliance[threads][0];
        this.waitsHolding = new long[threads][0];
        this.noReadFrom = new long[threads][0];
        this.noWriteFrom = new long[threads][0];
        this.lockedReads = new long[threads][0];
        this.lockedWrites = new long[threads][0];
    }

    /** Whether accesses behind a lock still to be taken count as kept out ({@link Taken}); else takings need not be recorded. */
    boolean barriers() {
        return barriers;
    }

    /** Changes whenever the summary grows. */
    long version() {
        return version;
    }

    /** Whether something learned since {@link #forgetDecisions} contradicts a local step taken since. */
    boolean contradicted() {
        return contradicted;
    }

    /** Something a decision of this run relied on, outside the summary, has changed. */
    void contradict() {
        contradicted = true;
    }

    /** Starts a run: no decision taken yet. */
    synchronized void forgetDecisions() {
        contradicted = false;
        reliedVisible = new long[0];
        reliedNoWait = new long[0];
        for (int t = 0; t < n; t++) {
            noReadFrom[t] = new long[0];
            noWriteFrom[t] = new long[0];
            lockedReads[t] = new long[0];
            lockedWrites[t] = new long[0];
            barrierReads[t] = new Reliance[0];
            barrierWrites[t] = new Reliance[0];
        }
    }

    /**
     * Records what thread {@code t}'s step touched, holding the locks {@code held}, having taken
     * {@code taken}, from a node at {@code depth} of its history; returns whether any of it was new:
     * a slot it had not touched that way, one it touched with fewer locks or fewer taken, or deeper.
     */
    boolean learn(int t, Footprint f, int[] held, long depth, Taken taken) {
        if (known(t, f, held, depth, taken)) {
            return false;
        }
        synchronized (this) {
            if (known(t, f, held, depth, taken)) {
                return false;
            }
            version++; // odd: changing
            // A decision relied on t making no such access from some depth on, or none with fewer locks.
            int c = Math.max(contradicts(readLocks[t], readDepth[t], noReadFrom[t], lockedReads[t], f.readSet(), held, depth),
                    contradicts(writeLocks[t], writeDepth[t], noWriteFrom[t], lockedWrites[t], f.writeSet(), held, depth));
            if (c > 0) {
                contradicted = true;
            }
            if (c == DEEPER && !depthless[t]) {
                boolean[] d = depthless.clone();
                d[t] = true;
                depthless = d;
            }
            // Or on a lock t had yet to take before such an access.
            if (passesBarrier(barrierReads[t], f.readSet(), depth, taken) || passesBarrier(barrierWrites[t], f.writeSet(), depth, taken)) {
                contradicted = true;
                boolean[] b = barrierless.clone();
                b[t] = true;
                barrierless = b;
            }
            readLocks[t] = withLocks(readLocks[t], f.readSet(), held);
            writeLocks[t] = withLocks(writeLocks[t], f.writeSet(), held);
            readDepth[t] = deeper(readDepth[t], f.readSet(), depth);
            writeDepth[t] = deeper(writeDepth[t], f.writeSet(), depth);
            readTaken[t] = withTaken(readTaken[t], f.readSet(), taken);
            writeTaken[t] = withTaken(writeTaken[t], f.writeSet(), taken);
            version++;
        }
        return true;
    }

    private boolean known(int t, Footprint f, int[] held, long depth, Taken taken) {
        return known(readLocks[t], readDepth[t], f.readSet(), held, depth) && known(writeLocks[t], writeDepth[t], f.writeSet(), held, depth)
                && knownTaken(readTaken[t], f.readSet(), taken) && knownTaken(writeTaken[t], f.writeSet(), taken);
    }

    /** Whether the summary's takings before accesses to each of {@code slots} are all in {@code taken}, no later. */
    private static boolean knownTaken(Taken[] takens, int[] slots, Taken taken) {
        for (int s : slots) {
            if (!knownTaken(takens, s, taken)) {
                return false;
            }
        }
        return true;
    }

    private static boolean knownTaken(Taken[] takens, int s, Taken taken) {
        Taken k = s < takens.length ? takens[s] : null;
        return k != null && k.within(taken);
    }

    /** The summary's takings with an access to each of {@code slots} having taken {@code taken} (a new array). */
    private static Taken[] withTaken(Taken[] takens, int[] slots, Taken taken) {
        int max = takens.length;
        for (int s : slots) {
            max = Math.max(max, s + 1);
        }
        Taken[] out = Arrays.copyOf(takens, max);
        for (int s : slots) {
            out[s] = out[s] != null ? out[s].intersect(taken) : taken;
        }
        return out;
    }

    /**
     * Whether an access to one of {@code slots} at {@code depth}, having taken {@code taken}, is one
     * a decision took as barred (it relied on the access coming after a taking of a lock that the
     * thread had yet to make, at some depth it was at between {@code from} and {@code to}) without
     * that taking in between: at a depth the decision took as still to come, the lock taken earlier.
     */
    private boolean passesBarrier(Reliance[] relied, int[] slots, long depth, Taken taken) {
        for (int s : slots) {
            Reliance r = s < relied.length ? relied[s] : null;
            if (r != null && r.from <= depth + slack && taken.depthOf(r.key) < r.to + slack) {
                return true;
            }
        }
        return false;
    }

    private static final int DEEPER = 2;

    /**
     * Whether accesses to {@code slots} holding {@code held} at {@code depth} break something a
     * decision relied on: 0 if not, 1 if one is made with fewer locks, {@link #DEEPER} if one comes
     * deeper than a decision took for the past.
     */
    private static int contradicts(int[][] locks, long[] depths, long[] noFrom, long[] locked, int[] slots, int[] held, long depth) {
        int c = 0;
        for (int s : slots) {
            int[] set = s < locks.length ? locks[s] : null;
            boolean fewerLocks = set != null && set.length > 0 && !Lockset.within(set, held);
            long known = depthAt(depths, s);
            if (depth > known && depth >= reliedAt(noFrom, s)) {
                c = known >= 0 ? DEEPER : Math.max(c, 1); // a first access is not a matter of depth
            } else if (fewerLocks && has(locked, s)) {
                c = Math.max(c, 1);
            }
        }
        return c;
    }

    /** Records slots thread {@code t} read outside a step (its next step's guard), holding {@code held}, at {@code depth}. */
    void learnReads(int t, IntList slots, int[] held, long depth, Taken taken) {
        int[][] locks = readLocks[t];
        long[] depths = readDepth[t];
        Taken[] takens = readTaken[t];
        boolean known = true;
        for (int i = 0; i < slots.size() && known; i++) {
            int s = slots.getInt(i);
            known = known(locks, depths, s, held, depth) && knownTaken(takens, s, taken);
        }
        if (!known) {
            learn(t, new Footprint(slots.toIntArray(), new int[0]), held, depth, taken);
        }
    }

    private static boolean known(int[][] locks, long[] depths, int[] slots, int[] held, long depth) {
        for (int s : slots) {
            if (!known(locks, depths, s, held, depth)) {
                return false;
            }
        }
        return true;
    }

    /** Whether an access to {@code s} holding {@code held} at {@code depth} is one the summary has: no deeper, under no more locks. */
    private static boolean known(int[][] locks, long[] depths, int s, int[] held, long depth) {
        int[] set = s < locks.length ? locks[s] : null;
        return set != null && (set.length == 0 || Lockset.within(set, held)) && depth <= depthAt(depths, s);
    }

    /**
     * Whether the thread of {@code locks}, now at {@code depth}, may still access {@code s} in a
     * way that holding {@code held} does not keep out: it has accessed it at that depth or deeper,
     * once without a lock {@code held} excludes it from. Read without the monitor; {@link #isLocal}
     * rechecks the version afterwards.
     */
    private boolean conflicts(int[] held, int[][] locks, long[] depths, Taken[] takens, int s, long depth, Taken now) {
        int[] set = s < locks.length ? locks[s] : null;
        return set != null && (depth < 0 || depthAt(depths, s) >= depth - slack) && (set.length == 0 || !Lockset.excludes(held, set))
                && barrier(held, takens, s, depth, now) < 0;
    }

    /**
     * A taking that holding {@code held} keeps out, which the thread of {@code takens} (at
     * {@code depth}, its path having taken {@code now}; null takens: none for it) made before every
     * access to {@code s} and has yet to make: its key ({@link Taken}), or -1 if there is none. Every
     * access known had its last taking of the lock at some depth or deeper; a path whose last taking
     * is shallower than that (or that has none) must take the lock again before such an access.
     */
    private int barrier(int[] held, Taken[] takens, int s, long depth, Taken now) {
        Taken k = takens != null && depth >= 0 && s < takens.length ? takens[s] : null;
        if (k == null) {
            return -1;
        }
        for (int e : held) {
            int key = Taken.keptOutBy(e);
            long least = k.depthOf(key);
            if (least >= 0 && now.depthOf(key) < least) {
                return key;
            }
        }
        return -1;
    }

    /** The greatest depth of an access to {@code s} in {@code depths}, -1 for none. */
    private static long depthAt(long[] depths, int s) {
        return s < depths.length ? depths[s] : -1;
    }

    /** The least depth a decision relied on for {@code s} in {@code relied}, {@link #NONE} for none. */
    private static long reliedAt(long[] relied, int s) {
        return s < relied.length ? relied[s] : NONE;
    }

    /** The depths with an access to each of {@code slots} at {@code depth} added (a new array, or the same if nothing changes). */
    private static long[] deeper(long[] depths, int[] slots, long depth) {
        long[] out = depths;
        for (int s : slots) {
            if (depthAt(out, s) < depth) {
                if (out == depths) {
                    int max = depths.length;
                    for (int x : slots) {
                        max = Math.max(max, x + 1);
                    }
                    out = Arrays.copyOf(depths, max);
                    Arrays.fill(out, depths.length, max, -1);
                }
                out[s] = depth;
            }
        }
        return out;
    }

    /** The locksets with an access to each of {@code slots} holding {@code held} added (a new array). */
    private static int[][] withLocks(int[][] locks, int[] slots, int[] held) {
        int max = locks.length;
        for (int s : slots) {
            max = Math.max(max, s + 1);
        }
        int[][] out = Arrays.copyOf(locks, max);
        for (int s : slots) {
            out[s] = out[s] != null ? Lockset.intersect(out[s], held) : held;
        }
        return out;
    }

    /**
     * Records that thread {@code t} holds {@code held} at a step that could wait (or where it
     * finished); a decision that relied on sections of one of those locks being atomic is contradicted.
     */
    void learnWaits(int t, int[] held) {
        if (knownWaits(t, held)) {
            return;
        }
        synchronized (this) {
            if (knownWaits(t, held)) {
                return;
            }
            version++;
            int[] locks = new int[held.length];
            for (int i = 0; i < held.length; i++) {
                locks[i] = Lockset.lock(held[i]);
                if (has(reliedNoWait, locks[i])) {
                    contradicted = true;
                }
            }
            waitsHolding[t] = with(waitsHolding[t], locks);
            version++;
        }
    }

    private boolean knownWaits(int t, int[] held) {
        for (int e : held) {
            if (!has(waitsHolding[t], Lockset.lock(e))) {
                return false;
            }
        }
        return true;
    }

    /** Records the slots a step check read; returns whether any was new. */
    boolean learnVisible(IntList slots) {
        long[] v = visible;
        boolean known = true;
        for (int i = 0; i < slots.size() && known; i++) {
            known = has(v, slots.getInt(i));
        }
        if (known) {
            return false;
        }
        synchronized (this) {
            version++;
            int[] a = slots.toIntArray();
            for (int s : a) {
                if (!has(visible, s) && has(reliedVisible, s)) {
                    contradicted = true;
                }
            }
            visible = with(visible, a);
            version++;
        }
        return true;
    }

    /**
     * Whether thread {@code t}'s step with footprint {@code f} is local, the threads in
     * {@code alive} being unfinished and each thread u where {@code at} has it. A
     * yes is remembered with what it relied on.
     */
    boolean isLocal(int t, Footprint f, long alive, int[] held, Where at) {
        long v0 = version;
        if ((v0 & 1) != 0 || !local(t, f, alive, held, at)) {
            return false;
        }
        return rely(t, f, alive, held, at) && version == v0; // else the summary changed meanwhile: no, which is always sound
    }

    private boolean local(int t, Footprint f, long alive, int[] held, Where at) {
        return !writesVisible(f) && conflicting(t, f, alive, held, at, true, true) == 0;
    }

    /**
     * Whether thread {@code t}'s step, local in this state, is local only thanks to a lock another
     * thread has yet to take: unlike a lock held or an access in the past, that lasts only until the
     * other thread takes it, so the step is not local wherever the others have moved on.
     */
    boolean localByBarrier(int t, Footprint f, long alive, int[] held, Where at) {
        return conflicting(t, f, alive, held, at, true, false) != 0;
    }

    private boolean writesVisible(Footprint f) {
        long[] v = visible;
        for (int s : f.writeSet()) {
            if (has(v, s)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The threads among {@code among} (other than t) that may still make an access conflicting
     * with {@code f}, made by t holding {@code held}; with {@code first}, only the first of them.
     */
    private long conflicting(int t, Footprint f, long among, int[] held, Where at, boolean first, boolean barriers) {
        int[] fr = f.readSet();
        int[] fw = f.writeSet();
        long out = 0;
        for (int u = 0; u < n; u++) {
            if (u == t || (among & (1L << u)) == 0) {
                continue;
            }
            int[][] url = readLocks[u];
            int[][] uwl = writeLocks[u];
            long[] urd = readDepth[u];
            long[] uwd = writeDepth[u];
            long d = depthless[u] ? -1 : at.depths[u]; // -1: every access still to come
            Taken now = at.taken[u];
            Taken[] urt = barrierless[u] || !barriers ? null : readTaken[u];
            Taken[] uwt = barrierless[u] || !barriers ? null : writeTaken[u];
            boolean c = false;
            for (int i = 0; i < fr.length && !c; i++) {
                c = conflicts(held, uwl, uwd, uwt, fr[i], d, now);
            }
            for (int i = 0; i < fw.length && !c; i++) {
                c = conflicts(held, uwl, uwd, uwt, fw[i], d, now) || conflicts(held, url, urd, urt, fw[i], d, now);
            }
            if (c) {
                out |= 1L << u;
                if (first) {
                    return out;
                }
            }
        }
        return out;
    }

    /**
     * The enabled threads of the smallest set of threads that keeps its steps to itself, grown
     * from one enabled thread after another; all of {@code enabled} if none is smaller. A set keeps
     * to itself when no thread outside it can still make an access conflicting with the next step
     * of an enabled thread in it, or with what the guard of a waiting thread in it reads, and no
     * enabled thread in it ends in a violation or writes what a step check reads: then threads
     * outside can neither touch what the set's next steps touch nor wake its waiting threads, and
     * its enabled steps are a persistent set (Godefroid). {@code next[t]} is the footprint of t's
     * next step for each enabled t (null for one that ends in a violation), and what its guard
     * reads for a waiting t. A smaller set is remembered with what it relied on.
     */
    long smallestPersistent(long enabled, long alive, Footprint[] next, int[][] held, Where at) {
        return smallestPersistent(enabled, alive, next, held, at, null, null);
    }

    /**
     * {@link #smallestPersistent(long, long, Footprint[], int[][], Where)}, where an enabled thread
     * whose next step takes a lock may stand for its whole critical section: {@code sections[t]}
     * (null if none) is what the section reads and writes, the lock's slots included, and
     * {@code lockSlots[t]} those slots, the lock first (an entry of sections that cannot stand is
     * set to null). Such a section counts as one step that touches
     * only its data, as long as no other thread can wait while it holds the lock (or end holding
     * it), and every other access to the lock's slots is made under the lock: then every other
     * section of the lock runs whole too, leaves the lock as it found it, and commutes with this
     * one unless their data conflict (Lipton's atomic sections).
     */
    long smallestPersistent(long enabled, long alive, Footprint[] next, int[][] held, Where at, Footprint[] sections, int[][] lockSlots) {
        long v0 = version;
        if ((v0 & 1) != 0) {
            return enabled;
        }
        Footprint[] own = next;
        if (sections != null) {
            own = next.clone();
            for (int p = 0; p < n; p++) {
                if (sections[p] != null && (enabled & (1L << p)) != 0 && atomicSections(p, lockSlots[p], alive)) {
                    own[p] = without(sections[p], lockSlots[p]);
                } else {
                    sections[p] = null;
                }
            }
            next = own;
        }
        long[] conf = new long[n]; // per thread: the others it may conflict with
        long bad = 0;
        for (int p = 0; p < n; p++) {
            long bit = 1L << p;
            if ((alive & bit) == 0) {
                continue;
            }
            if ((enabled & bit) != 0 && (next[p] == null || writesVisible(next[p]))) {
                bad |= bit; // explored with all the others
                continue;
            }
            conf[p] = conflicting(p, next[p], alive, held[p], at, false, true);
        }
        long best = enabled;
        long bestSet = 0;
        for (int t = 0; t < n; t++) {
            if (((enabled & ~bad) & (1L << t)) != 0) {
                long set = closure(1L << t, conf, bad, enabled, Long.bitCount(best));
                if (set != 0) {
                    best = set & enabled;
                    bestSet = set;
                }
            }
        }
        if (bestSet == 0) {
            return enabled;
        }
        for (int t = 0; t < n; t++) {
            if ((bestSet & (1L << t)) != 0) {
                Footprint f = sections != null && sections[t] != null ? sections[t] : next[t];
                if (!rely(t, f, alive & ~bestSet, held[t], at) || (sections != null && sections[t] != null && !relyNoWait(lockSlots[t][0]))) {
                    return enabled;
                }
            }
        }
        return version == v0 ? best : enabled; // else the summary changed meanwhile: all, which is always sound
    }

    /**
     * Whether the sections of the lock whose slots are {@code slots} (the lock first) run whole
     * for every thread but p alive: none can wait holding it or end holding it, and all their
     * accesses to its slots are made holding it.
     */
    private boolean atomicSections(int p, int[] slots, long alive) {
        int lock = slots[0];
        for (int u = 0; u < n; u++) {
            if (u == p || (alive & (1L << u)) == 0) {
                continue;
            }
            if (has(waitsHolding[u], lock)) {
                return false;
            }
            for (int s : slots) {
                if (unlockedAccess(readLocks[u], s, lock) || unlockedAccess(writeLocks[u], s, lock)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether the accesses of {@code locks} include one to {@code s} not made holding {@code lock}. */
    private static boolean unlockedAccess(int[][] locks, int s, int lock) {
        int[] set = s < locks.length ? locks[s] : null;
        return set != null && Lockset.find(set, lock) < 0;
    }

    private synchronized boolean relyNoWait(int lock) {
        reliedNoWait = with(reliedNoWait, new int[] {lock});
        return true;
    }

    /** {@code f} without the slots {@code out}. */
    private static Footprint without(Footprint f, int[] out) {
        return new Footprint(without(f.readSet(), out), without(f.writeSet(), out));
    }

    private static int[] without(int[] slots, int[] out) {
        int[] kept = new int[slots.length];
        int n = 0;
        for (int s : slots) {
            if (!Footprint.contains(out, s)) {
                kept[n++] = s;
            }
        }
        return n == slots.length ? slots : Arrays.copyOf(kept, n);
    }

    /**
     * {@code set} with every thread its members may conflict with, and theirs in turn; 0 if that
     * takes in a {@code bad} thread or {@code limit} enabled ones.
     */
    private static long closure(long set, long[] conf, long bad, long enabled, int limit) {
        while (true) {
            long grown = set;
            for (long b = set; b != 0; b &= b - 1) {
                grown |= conf[Long.numberOfTrailingZeros(b)];
            }
            if ((grown & bad) != 0 || Long.bitCount(grown & enabled) >= limit) {
                return 0;
            }
            if (grown == set) {
                return set;
            }
            set = grown;
        }
    }

    /**
     * Records what the decision that thread {@code t}'s step (footprint {@code f}, holding
     * {@code held}) is kept to itself relies on about the threads {@code alive}; false if it cannot
     * be recorded (then the decision is not taken).
     */
    private boolean rely(int t, Footprint f, long alive, int[] held, Where at) {
        boolean known = covers(reliedVisible, f.writeSet());
        boolean[] flat = depthless;
        boolean[] open = barrierless;
        for (int u = 0; u < n && known; u++) {
            if (u != t && (alive & (1L << u)) != 0) {
                long d = flat[u] ? -1 : at.depths[u];
                Taken now = at.taken[u];
                Taken[] urt = open[u] ? null : readTaken[u];
                Taken[] uwt = open[u] ? null : writeTaken[u];
                known = relied(f.readSet(), held, writeLocks[u], writeDepth[u], uwt, noWriteFrom[u], lockedWrites[u], barrierWrites[u], d, now)
                        && relied(f.writeSet(), held, writeLocks[u], writeDepth[u], uwt, noWriteFrom[u], lockedWrites[u], barrierWrites[u], d, now)
                        && relied(f.writeSet(), held, readLocks[u], readDepth[u], urt, noReadFrom[u], lockedReads[u], barrierReads[u], d, now);
            }
        }
        if (known) {
            return true;
        }
        synchronized (this) {
            reliedVisible = with(reliedVisible, f.writeSet());
            boolean ok = true;
            for (int u = 0; u < n; u++) {
                if (u != t && (alive & (1L << u)) != 0) {
                    long d = flat[u] ? -1 : at.depths[u];
                    Taken now = at.taken[u];
                    Taken[] urt = open[u] ? null : readTaken[u];
                    Taken[] uwt = open[u] ? null : writeTaken[u];
                    // t's reads rely on u's writes; t's writes on all of u's accesses.
                    ok &= relyOn(u, f.readSet(), held, writeLocks[u], writeDepth[u], uwt, d, now, false);
                    ok &= relyOn(u, f.writeSet(), held, writeLocks[u], writeDepth[u], uwt, d, now, false);
                    ok &= relyOn(u, f.writeSet(), held, readLocks[u], readDepth[u], urt, d, now, true);
                }
            }
            return ok;
        }
    }

    /**
     * Whether what a decision relies on about thread u's accesses to {@code slots} (u at {@code depth})
     * is recorded: accesses at that depth or deeper are kept out by their locks (locked) or by a
     * lock still to be taken before them (a barrier), or there are none (none from a depth no deeper).
     */
    private boolean relied(int[] slots, int[] held, int[][] locks, long[] depths, Taken[] takens, long[] noFrom, long[] locked,
            Reliance[] barriers, long depth, Taken now) {
        for (int s : slots) {
            boolean ahead = s < locks.length && locks[s] != null && (depth < 0 || depthAt(depths, s) >= depth - slack);
            if (!ahead) {
                if (reliedAt(noFrom, s) > Math.max(depth, 0)) {
                    return false;
                }
                continue;
            }
            int key = locks[s].length > 0 && Lockset.excludes(held, locks[s]) ? -1 : barrier(held, takens, s, depth, now);
            if (key < 0) {
                if (!has(locked, s)) {
                    return false;
                }
            } else {
                Reliance r = s < barriers.length ? barriers[s] : null;
                if (r == null || r.key != key || r.widened(depth) != r) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Records the reliance of {@link #relied}; false if a barrier was relied on with another taking before (not recorded). */
    private boolean relyOn(int u, int[] slots, int[] held, int[][] locks, long[] depths, Taken[] takens, long depth, Taken now, boolean reads) {
        boolean ok = true;
        for (int s : slots) {
            boolean ahead = s < locks.length && locks[s] != null && (depth < 0 || depthAt(depths, s) >= depth - slack);
            int key = ahead && !(locks[s].length > 0 && Lockset.excludes(held, locks[s])) ? barrier(held, takens, s, depth, now) : -1;
            if (key >= 0) {
                Reliance[] rs = reads ? barrierReads[u] : barrierWrites[u];
                Reliance r = s < rs.length ? rs[s] : null;
                if (r != null && r.key != key) {
                    ok = false;
                } else if (r == null || r.widened(depth) != r) {
                    rs = Arrays.copyOf(rs, Math.max(rs.length, s + 1));
                    rs[s] = r == null ? new Reliance(key, depth, depth) : r.widened(depth);
                    if (reads) {
                        barrierReads[u] = rs;
                    } else {
                        barrierWrites[u] = rs;
                    }
                }
            } else if (ahead) {
                if (reads) {
                    lockedReads[u] = with(lockedReads[u], new int[] {s});
                } else {
                    lockedWrites[u] = with(lockedWrites[u], new int[] {s});
                }
            } else if (reads) {
                noReadFrom[u] = relyFrom(noReadFrom[u], new int[] {s}, Math.max(depth, 0));
            } else {
                noWriteFrom[u] = relyFrom(noWriteFrom[u], new int[] {s}, Math.max(depth, 0));
            }
        }
        return ok;
    }

    /** Whether a reliance on each of {@code slots} from {@code depth} on is already recorded (from that depth or less deep). */
    private static boolean reliedFrom(long[] relied, int[] slots, long depth) {
        for (int s : slots) {
            if (reliedAt(relied, s) > depth) {
                return false;
            }
        }
        return true;
    }

    /** {@code relied} with a reliance on each of {@code slots} from {@code depth} on (a new array, or the same). */
    private static long[] relyFrom(long[] relied, int[] slots, long depth) {
        if (reliedFrom(relied, slots, depth)) {
            return relied;
        }
        int max = relied.length;
        for (int s : slots) {
            max = Math.max(max, s + 1);
        }
        long[] out = Arrays.copyOf(relied, max);
        Arrays.fill(out, relied.length, max, NONE);
        for (int s : slots) {
            out[s] = Math.min(out[s], depth);
        }
        return out;
    }

    private static boolean covers(long[] bits, int[] slots) {
        for (int s : slots) {
            if (!has(bits, s)) {
                return false;
            }
        }
        return true;
    }

    private static boolean has(long[] bits, int s) {
        int w = s >>> 6;
        return w < bits.length && (bits[w] & (1L << s)) != 0;
    }

    /** bits with the slots added: bits itself if it has them all. */
    private static long[] with(long[] bits, int[] slots) {
        if (covers(bits, slots)) {
            return bits;
        }
        int max = bits.length;
        for (int s : slots) {
            max = Math.max(max, (s >>> 6) + 1);
        }
        long[] out = Arrays.copyOf(bits, max);
        for (int s : slots) {
            out[s >>> 6] |= 1L << s;
        }
        return out;
    }
}
