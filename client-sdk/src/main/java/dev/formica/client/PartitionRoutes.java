package dev.formica.client;

import dev.formica.v1.PartitionGroup;
import dev.formica.v1.PartitionMap;
import java.util.List;

/**
 * Where each partition is served: the address of its owner, and the Raft term in which that owner was known to lead
 * the partition's group (0 when unknown: the targets' range assignment, a map without replication, or a redirect).
 * Built from the targets (range assignment) or from a {@code GetPartitionMap} answer; {@link #merge} keeps, for
 * each partition, the owner of the newer term, so a refresh from a node that knows less never takes a route back.
 *
 * <p>Immutable, thread-safe.
 */
final class PartitionRoutes {
    private final List<String> nodes;
    private final int[] owners;
    /** Per partition: the term of its owner's leadership (PartitionMap.groups), 0 when unknown. */
    private final long[] terms;

    private PartitionRoutes(List<String> nodes, int[] owners) {
        this(nodes, owners, new long[owners.length]);
    }

    private PartitionRoutes(List<String> nodes, int[] owners, long[] terms) {
        this.nodes = List.copyOf(nodes);
        this.owners = owners;
        this.terms = terms;
    }

    /** The targets in order, partition {@code p} on target {@code p * n / 256}. */
    static PartitionRoutes ranges(List<String> targets) {
        int[] owners = new int[BorrowerRouter.PARTITIONS];
        for (int p = 0; p < owners.length; p++) {
            owners[p] = BorrowerRouter.rangeOwner(p, targets.size());
        }
        return new PartitionRoutes(targets, owners);
    }

    /**
     * The routes of a server's map, or null when the map cannot route: another partition count, an owner out of
     * range, or a node without an address (a server without cluster settings, which owns every partition itself).
     */
    static PartitionRoutes of(PartitionMap map) {
        if (map.getPartitionCount() != BorrowerRouter.PARTITIONS || map.getOwnersCount() != BorrowerRouter.PARTITIONS
                || map.getNodesCount() == 0) {
            return null;
        }
        String[] nodes = new String[map.getNodesCount()];
        for (int i = 0; i < nodes.length; i++) {
            String address = map.getNodes(i).getAddress();
            if (map.getNodes(i).getId() != i || address.isEmpty()) {
                return null;
            }
            nodes[i] = address;
        }
        int[] owners = new int[BorrowerRouter.PARTITIONS];
        for (int p = 0; p < owners.length; p++) {
            owners[p] = map.getOwners(p);
            if (owners[p] < 0 || owners[p] >= nodes.length) {
                return null;
            }
        }
        long[] terms = new long[owners.length];
        for (PartitionGroup g : map.getGroupsList()) {
            for (int p = Math.max(0, g.getFirstPartition()); p <= g.getLastPartition() && p < terms.length; p++) {
                if (owners[p] == g.getLeader()) {
                    terms[p] = Math.max(0, g.getTerm());
                }
            }
        }
        return new PartitionRoutes(List.of(nodes), owners, terms);
    }

    /**
     * These routes updated by {@code newer} (a map just read): each partition takes {@code newer}'s owner unless these
     * routes know its owner in a later term (docs/cluster.md, "Map version"); equal terms take {@code newer}'s.
     */
    PartitionRoutes merge(PartitionRoutes newer) {
        List<String> merged = new java.util.ArrayList<>(newer.nodes);
        int[] mergedOwners = new int[owners.length];
        long[] mergedTerms = new long[owners.length];
        for (int p = 0; p < owners.length; p++) {
            if (terms[p] > newer.terms[p]) {
                String address = addressOf(p);
                int node = merged.indexOf(address);
                if (node < 0) {
                    merged.add(address);
                    node = merged.size() - 1;
                }
                mergedOwners[p] = node;
                mergedTerms[p] = terms[p];
            } else {
                mergedOwners[p] = newer.owners[p];
                mergedTerms[p] = newer.terms[p];
            }
        }
        return new PartitionRoutes(merged, mergedOwners, mergedTerms);
    }

    /** The term in which {@code partition}'s owner was known to lead (0 when unknown). */
    long termOf(int partition) {
        return terms[partition];
    }

    /** These routes with {@code partition} moved to {@code address} (a redirect named the owner). */
    PartitionRoutes withOwner(int partition, String address) {
        int node = nodes.indexOf(address);
        List<String> moreNodes = nodes;
        if (node < 0) {
            moreNodes = new java.util.ArrayList<>(nodes);
            moreNodes.add(address);
            node = moreNodes.size() - 1;
        }
        int[] moved = owners.clone();
        moved[partition] = node;
        return new PartitionRoutes(moreNodes, moved, terms);
    }

    /**
     * These routes with each partition that {@code map}'s node serves on a shard port ({@code partition_ports},
     * {@code shardMode: LOOP}) sent to that port on {@code host}, where the routes sent it to {@code target} (the
     * node that answered the map); the others unchanged. Unchanged when the map names no shard ports.
     */
    PartitionRoutes withPartitionPorts(String target, String host, PartitionMap map) {
        if (map.getPartitionPortsCount() != BorrowerRouter.PARTITIONS) {
            return this;
        }
        List<String> moreNodes = new java.util.ArrayList<>(nodes);
        int[] moved = owners.clone();
        for (int p = 0; p < moved.length; p++) {
            int port = map.getPartitionPorts(p);
            if (port <= 0 || port > 65535 || !nodes.get(owners[p]).equals(target)) {
                continue;
            }
            String address = host + ":" + port;
            int node = moreNodes.indexOf(address);
            if (node < 0) {
                moreNodes.add(address);
                node = moreNodes.size() - 1;
            }
            moved[p] = node;
        }
        return new PartitionRoutes(moreNodes, moved, terms);
    }

    /**
     * These routes with every partition routed to one of {@code addresses} (the shard ports learnt from
     * {@code target}'s map) sent back to {@code target}; the others unchanged.
     */
    PartitionRoutes backTo(String target, java.util.Set<String> addresses) {
        List<String> moreNodes = new java.util.ArrayList<>(nodes);
        int node = moreNodes.indexOf(target);
        if (node < 0) {
            moreNodes.add(target);
            node = moreNodes.size() - 1;
        }
        int[] moved = owners.clone();
        for (int p = 0; p < moved.length; p++) {
            if (addresses.contains(nodes.get(owners[p]))) {
                moved[p] = node;
            }
        }
        return new PartitionRoutes(moreNodes, moved, terms);
    }

    List<String> nodes() {
        return nodes;
    }

    /** The node index serving {@code partition}. */
    int ownerOf(int partition) {
        return owners[partition];
    }

    String addressOf(int partition) {
        return nodes.get(owners[partition]);
    }
}
