package dev.formica.client;

import dev.formica.v1.PartitionMap;
import java.util.List;

/**
 * Where each partition is served: the address of its owner. Built from the targets (range assignment) or from a
 * {@code GetPartitionMap} answer.
 *
 * <p>Immutable, thread-safe.
 */
final class PartitionRoutes {
    private final List<String> nodes;
    private final int[] owners;

    private PartitionRoutes(List<String> nodes, int[] owners) {
        this.nodes = List.copyOf(nodes);
        this.owners = owners;
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
        return new PartitionRoutes(List.of(nodes), owners);
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
        return new PartitionRoutes(moreNodes, moved);
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
        return new PartitionRoutes(moreNodes, moved);
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
