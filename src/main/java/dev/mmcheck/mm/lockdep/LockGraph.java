package dev.mmcheck.mm.lockdep;

import dev.mmcheck.engine.Violation;
import dev.mmcheck.mm.Kinds;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lock dependencies seen over every explored execution, and what they say: cycles (an ABBA
 * deadlock that some interleaving, explored or not, can reach), dependencies against the
 * documented order (mm/rmap.c), nested acquisitions of one class, and the known exceptions to
 * the "protected by" rules that were exercised.
 */
public final class LockGraph {

    /** One observed "held {@code from} while taking {@code to}", with the first acquisition that showed it. */
    public record Dependency(LockClass from, Mode fromMode, LockClass to, Mode toMode, boolean trylock, Held held, Witness witness) {
        public String fromLabel() {
            return Acquisition.label(from, fromMode, false);
        }

        public String toLabel() {
            return Acquisition.label(to, toMode, trylock);
        }

        /** Same class on both sides: lockdep needs a subclass (spin_lock_nested) to accept it. */
        public boolean nested() {
            return from == to && !trylock;
        }

        /** An edge of the order graph: a trylock cannot wait, so it orders nothing. */
        public boolean orders() {
            return from != to && !trylock;
        }
    }

    /** How a dependency between two classes stands against the documented order. */
    public enum Standing {
        DOCUMENTED, AGAINST, UNDOCUMENTED
    }

    /** All the dependencies of one pair of classes (any modes), first seen first. */
    public record Edge(LockClass from, LockClass to, List<Dependency> deps) {
        public Dependency first() {
            return deps.get(0);
        }

        public Standing standing() {
            if (!from.ranked() || !to.ranked()) {
                return Standing.UNDOCUMENTED;
            }
            return from.rank < to.rank ? Standing.DOCUMENTED : Standing.AGAINST;
        }

        public String modes() {
            List<String> out = new ArrayList<>();
            for (Dependency d : deps) {
                String m = d.fromLabel() + " -> " + d.toLabel();
                if (!out.contains(m)) {
                    out.add(m);
                }
            }
            return String.join(", ", out);
        }
    }

    private final List<Dependency> deps;
    private final List<Lockdep.ExceptionSeen> exceptions;
    private final List<Rule> rules;
    private final long checkedWrites;

    LockGraph(List<Dependency> deps, List<Lockdep.ExceptionSeen> exceptions, List<Rule> rules, long checkedWrites) {
        this.deps = List.copyOf(deps);
        this.exceptions = exceptions;
        this.rules = rules;
        this.checkedWrites = checkedWrites;
    }

    /**
     * The union of the graphs of several kernels: the workers of a parallel exploration (each with
     * its own copy of the program), or several programs (the whole catalog). Every dependency any
     * of them saw, each with its witnesses.
     */
    public static LockGraph union(List<LockGraph> graphs) {
        if (graphs.size() == 1) {
            return graphs.get(0);
        }
        List<Dependency> deps = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        Map<String, Lockdep.ExceptionSeen> exc = new LinkedHashMap<>();
        long writes = 0;
        for (LockGraph g : graphs) {
            for (Dependency d : g.deps) {
                if (seen.add(d.fromLabel() + "->" + d.toLabel() + "@" + System.identityHashCode(d.witness().origin()) + "/"
                        + d.witness().thread())) {
                    deps.add(d);
                }
            }
            for (Lockdep.ExceptionSeen x : g.exceptions) {
                Lockdep.ExceptionSeen prev = exc.get(x.rule.field() + ": " + x.name);
                exc.put(x.rule.field() + ": " + x.name, prev == null ? x : prev.plus(x.count));
            }
            writes += g.checkedWrites;
        }
        return new LockGraph(deps, List.copyOf(exc.values()), graphs.get(0).rules, writes);
    }

    public List<Dependency> dependencies() {
        return deps;
    }

    /** The order graph: one edge per pair of distinct classes with a non-trylock dependency. */
    public List<Edge> edges() {
        Map<Long, List<Dependency>> by = new LinkedHashMap<>();
        for (Dependency d : deps) {
            if (d.orders()) {
                by.computeIfAbsent(((long) d.from.id << 32) | d.to.id, x -> new ArrayList<>()).add(d);
            }
        }
        List<Edge> out = new ArrayList<>();
        by.values().forEach(l -> out.add(new Edge(l.get(0).from, l.get(0).to, List.copyOf(l))));
        out.sort(Comparator.comparingInt((Edge e) -> e.from.rank).thenComparing(e -> e.from.name)
                .thenComparingInt(e -> e.to.rank).thenComparing(e -> e.to.name));
        return out;
    }

    public List<Dependency> nested() {
        return deps.stream().filter(Dependency::nested).toList();
    }

    public List<Dependency> trylocks() {
        return deps.stream().filter(Dependency::trylock).toList();
    }

    public List<Edge> against() {
        return edges().stream().filter(e -> e.standing() == Standing.AGAINST).toList();
    }

    public List<Lockdep.ExceptionSeen> exceptions() {
        return exceptions;
    }

    public List<Rule> rules() {
        return rules;
    }

    public long checkedWrites() {
        return checkedWrites;
    }

    public List<LockClass> classes() {
        List<LockClass> out = new ArrayList<>();
        for (Dependency d : deps) {
            if (!out.contains(d.from)) {
                out.add(d.from);
            }
            if (!out.contains(d.to)) {
                out.add(d.to);
            }
        }
        out.sort(Comparator.comparingInt((LockClass c) -> c.rank).thenComparing(c -> c.name));
        return out;
    }

    /** Every elementary cycle of the order graph (each once, starting at its lowest class), shortest first. */
    public List<List<Edge>> cycles() {
        List<Edge> edges = edges();
        List<LockClass> nodes = new ArrayList<>();
        for (Edge e : edges) {
            if (!nodes.contains(e.from)) {
                nodes.add(e.from);
            }
            if (!nodes.contains(e.to)) {
                nodes.add(e.to);
            }
        }
        List<List<Edge>> out = new ArrayList<>();
        for (int s = 0; s < nodes.size() && out.size() < 100; s++) {
            search(nodes.get(s), nodes.get(s), nodes.subList(s, nodes.size()), edges, new ArrayList<>(), out);
        }
        out.sort(Comparator.comparingInt(List::size));
        return out;
    }

    private static void search(LockClass start, LockClass at, List<LockClass> allowed, List<Edge> edges, List<Edge> path,
            List<List<Edge>> out) {
        for (Edge e : edges) {
            if (e.from != at || !allowed.contains(e.to) || out.size() >= 100) {
                continue;
            }
            if (e.to == start) {
                List<Edge> c = new ArrayList<>(path);
                c.add(e);
                out.add(c);
            } else if (path.stream().noneMatch(p -> p.from == e.to)) {
                path.add(e);
                search(start, e.to, allowed, edges, path, out);
                path.remove(path.size() - 1);
            }
        }
    }

    /** "CPU1 reclaim0 took lru_lock in a > b, holding ptl(T7) (taken in a > c)". */
    public static String shown(Dependency d, Chains chains) {
        Witness w = d.witness();
        return w.who() + " took " + w.taken().name() + " in " + Chains.chain(chains.taken(w)) + ", holding "
                + d.held().how().name() + " (taken in " + Chains.chain(chains.took(w, d.held())) + ")";
    }

    /**
     * LOCK_ORDER when the order graph has a cycle: some interleaving of these acquisitions
     * deadlocks, whether or not an explored execution did. Null when there is none.
     */
    public Violation lockOrderViolation(Chains chains) {
        List<List<Edge>> cycles = cycles();
        if (cycles.isEmpty()) {
            return null;
        }
        List<Edge> c = cycles.get(0);
        StringBuilder sb = new StringBuilder("lock order cycle ");
        for (Edge e : c) {
            sb.append(e.from.name).append(" -> ");
        }
        sb.append(c.get(0).from.name).append(": each order was taken in some explored execution, so CPUs taking them at once")
                .append(" can deadlock (no explored execution did)");
        for (Edge e : c) {
            sb.append("\n  ").append(e.from.name).append(" -> ").append(e.to.name).append(": ").append(shown(e.first(), chains));
        }
        if (cycles.size() > 1) {
            sb.append("\n  (").append(cycles.size() - 1).append(" more cycle(s): mmcheck locks lists them)");
        }
        return new Violation(Kinds.LOCK_ORDER, sb.toString());
    }
}
