package dev.formica.engine.cluster;

import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import io.grpc.Metadata;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Which node owns each of the {@link Partitions#COUNT} partitions, and which node this is.
 *
 * <p>Assignment: node {@code i} of {@code n} owns the partitions {@code p} with {@code p * n / 256 == i}
 * (contiguous ranges, in the order of the configured node list). One node, the default, owns every partition.
 * A node refuses a borrower or hold of a partition it does not own with {@code FAILED_PRECONDITION} whose
 * details carry a {@code google.rpc.ErrorInfo} naming the owner, and whose trailers carry
 * {@link #OWNER_ADDRESS} (docs/cluster.md, "Redirects").
 *
 * <p>With replication (docs/cluster.md, "Replication") the owner of a partition is the node that leads its group
 * now: {@link #assignRange} moves a node's range when this node learns of a new leader, and the map's
 * {@link #version} counts the moves this node has seen.
 *
 * <p>Thread contract: any thread; {@link #assignRange} publishes through a volatile version, so a reader sees a
 * range's owner at most one move late, never a torn one.
 */
public final class PartitionTable {
    /** {@code ErrorInfo.domain} of a redirect. */
    public static final String ERROR_DOMAIN = "formica.dev";
    /** {@code ErrorInfo.reason} of a redirect. */
    public static final String NOT_OWNER_REASON = DomainError.PARTITION_NOT_OWNED.name();
    /** Trailer of a redirect: the owner's address, for callers that do not read the status details. */
    public static final Metadata.Key<String> OWNER_ADDRESS =
            Metadata.Key.of("formica-partition-owner", Metadata.ASCII_STRING_MARSHALLER);

    /** The node addresses, index = id; grows when a node is added (replication), never shrinks. */
    private volatile List<String> nodes;
    /** The ranges: {@code p * ranges / 256}; the node count, or with replication the cluster's group count. */
    private final int ranges;
    private final int self;
    private final byte[] owners = new byte[Partitions.COUNT];
    /** With replication: the Raft term each range's owner was known to lead in (index = range node), 0 unknown. */
    private final long[] terms;
    /** With replication: the groups this node hosts, for the map (null without replication). */
    private volatile Supplier<List<Group>> groups;
    /** Moves made by {@link #assignRange}: written after the owners, read before them. */
    private volatile long version;

    private PartitionTable(List<String> nodes, int self, int ranges) {
        this.nodes = List.copyOf(nodes);
        this.self = self;
        this.ranges = ranges;
        this.terms = new long[ranges];
        for (int p = 0; p < Partitions.COUNT; p++) {
            owners[p] = (byte) rangeOwner(p, ranges);
        }
    }

    /** One node owning every partition: a server without cluster settings. Its address is unknown (""). */
    public static PartitionTable singleNode() {
        return new PartitionTable(List.of(""), 0, 1);
    }

    /**
     * The table of a cluster of {@code nodes} (addresses clients dial, in the configured order) seen from node
     * {@code self}; no nodes = {@link #singleNode()}.
     */
    public static PartitionTable of(List<String> nodes, int self) {
        return of(nodes, self, nodes.size());
    }

    /**
     * As {@link #of(List, int)}, with {@code ranges} partition ranges (the replicated cluster's groups, at most one
     * per node), range {@code r} first owned by node {@code r}.
     */
    public static PartitionTable of(List<String> nodes, int self, int ranges) {
        if (nodes.isEmpty()) {
            return singleNode();
        }
        if (ranges < 1 || ranges > nodes.size()) {
            throw new IllegalArgumentException("ranges must be 1.." + nodes.size() + ", was " + ranges);
        }
        if (nodes.size() > Partitions.COUNT) {
            throw new IllegalArgumentException("at most " + Partitions.COUNT + " nodes, one partition each");
        }
        if (self < 0 || self >= nodes.size()) {
            throw new IllegalArgumentException("node id " + self + " is not 0.." + (nodes.size() - 1));
        }
        return new PartitionTable(nodes, self, ranges);
    }

    /** The node of {@code nodes} that owns {@code partition} by the range assignment. */
    public static int rangeOwner(int partition, int nodes) {
        return partition * nodes / Partitions.COUNT;
    }

    public boolean owns(int partition) {
        // the volatile read (always >= 0) orders the owners read after the last assignRange's writes
        return version >= 0 && owners[partition] == self;
    }

    /** The node index that owns {@code partition}. */
    public int ownerOf(int partition) {
        return version >= 0 ? owners[partition] & 0xff : -1;
    }

    /**
     * Makes {@code owner} the owner of every partition node {@code rangeNode} owns by the range assignment: with
     * replication, the new leader of that range's group.
     */
    public synchronized void assignRange(int rangeNode, int owner) {
        assignRange(rangeNode, owner, terms[rangeNode]);
    }

    /**
     * As {@link #assignRange(int, int)}, known as the owner in Raft term {@code term}; ignored when the range's owner
     * is known in a later term already, so a late notice never takes the map back (docs/cluster.md, "Map version").
     */
    public synchronized void assignRange(int rangeNode, int owner, long term) {
        if (owner < 0 || owner >= nodes.size() || rangeNode < 0 || rangeNode >= ranges) {
            throw new IllegalArgumentException("no node " + owner);
        }
        if (term < terms[rangeNode]) {
            return;
        }
        boolean moved = term != terms[rangeNode];
        terms[rangeNode] = term;
        for (int p = 0; p < Partitions.COUNT; p++) {
            if (rangeOwner(p, ranges) == rangeNode && owners[p] != (byte) owner) {
                owners[p] = (byte) owner;
                moved = true;
            }
        }
        if (moved) {
            version++;
        }
    }

    /** How many times {@link #assignRange} changed an owner or a term on this node (0 without replication). */
    public long version() {
        return version;
    }

    /** The Raft term in which the owner of node {@code rangeNode}'s range was known to lead; 0 when unknown. */
    public synchronized long term(int rangeNode) {
        return terms[rangeNode];
    }

    /**
     * The map's version ({@code PartitionMap.version}): the sum of the ranges' terms, so it grows whenever a range's
     * owner changes in a new term and never goes down while this node runs; 0 without replication.
     */
    public synchronized long mapVersion() {
        long sum = 0;
        for (long t : terms) {
            sum += t;
        }
        return sum;
    }

    /** A Raft group as the map shows it: its range, its owner's term, its replicas and where it is placed. */
    public record Group(int id, int firstPartition, int lastPartition, int leader, long term, List<Integer> replicas,
            int placedOn) {
    }

    /** With replication: where the groups this node hosts are read from for the map. */
    public void groups(Supplier<List<Group>> view) {
        this.groups = view;
        synchronized (this) {
            version++; // a map cached before must be built again
        }
    }

    /** The groups this node hosts (empty without replication). */
    public List<Group> groups() {
        Supplier<List<Group>> view = groups;
        return view == null ? List.of() : view.get();
    }

    /** The first and last partition of node {@code rangeNode}'s range (contiguous; empty ranges give last < first). */
    public int[] range(int rangeNode) {
        int first = (rangeNode * Partitions.COUNT + ranges - 1) / ranges;
        int last = ((rangeNode + 1) * Partitions.COUNT + ranges - 1) / ranges - 1;
        return new int[] {first, last};
    }

    /** The number of ranges (with replication: the cluster's groups, fixed however many nodes it has). */
    public int ranges() {
        return ranges;
    }

    /** The node addresses, index = node id (a snapshot: it grows when a node is added). */
    public List<String> nodes() {
        return nodes;
    }

    /**
     * Learns node {@code node}'s address (replication: a node added to a group's Raft configuration): the next id
     * grows the list; a known id keeps its address. False when {@code node} is past the next id (its address
     * cannot be listed without a gap) or {@code address} is empty.
     */
    public synchronized boolean learnNode(int node, String address) {
        List<String> known = nodes;
        if (node < known.size()) {
            return true;
        }
        if (node != known.size() || address == null || address.isEmpty() || node >= Partitions.COUNT) {
            return false;
        }
        List<String> grown = new ArrayList<>(known);
        grown.add(address);
        nodes = List.copyOf(grown);
        version++; // a map cached before must be built again
        return true;
    }

    /** This node's id. */
    public int self() {
        return self;
    }

    /** The partitions this node owns as ranges, e.g. {@code 0-127}; recorded in the data layout. */
    public String ownedRanges() {
        List<String> ranges = new ArrayList<>();
        int p = 0;
        while (p < Partitions.COUNT) {
            if (!owns(p)) {
                p++;
                continue;
            }
            int first = p;
            while (p < Partitions.COUNT && owns(p)) {
                p++;
            }
            ranges.add(first == p - 1 ? Integer.toString(first) : first + "-" + (p - 1));
        }
        return String.join(",", ranges);
    }

    /**
     * The refusal of a call for {@code partition}, which another node owns: {@link DomainError#PARTITION_NOT_OWNED}
     * ({@code FAILED_PRECONDITION}) naming {@code field} (borrower_id or hold_id) and the owner, with the metadata
     * {@code partition}, {@code owner_node}, {@code owner_address} (the server adds the {@link #OWNER_ADDRESS}
     * trailer). Names no borrower.
     */
    public Refused refusal(int partition, String field) {
        int owner = ownerOf(partition);
        List<String> known = nodes;
        String address = owner < known.size() ? known.get(owner) : "";
        return Refused.of(DomainError.PARTITION_NOT_OWNED, field + ": partition " + partition + " is owned by node "
                        + owner + " (" + address + "), not by node " + self + "; send the call there (docs/cluster.md)")
                .metadata("partition", Integer.toString(partition))
                .metadata("owner_node", Integer.toString(owner))
                .metadata("owner_address", address);
    }
}
