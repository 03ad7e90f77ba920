package dev.formica.loadtest;

import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.PartitionMap;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code --shard-ports} (the default): a channel per shard port of a {@code shardMode: LOOP} server (its partition
 * map's {@code partition_ports}) and which channel serves each partition, so that each Decide is read by the event
 * loop that owns its shard. A partition the map names no port for goes to a channel on the target itself.
 *
 * @param channels one per shard port, in the order the map first names them (and the target's, if needed)
 * @param lanes index into {@code channels} of each partition's port
 */
record ShardChannels(List<ManagedChannel> channels, int[] lanes) {
    private static final int PARTITIONS = 256;

    /**
     * Reads {@code target}'s map: the addresses of its shard ports and each partition's.
     *
     * @return null when the server names no shard ports (not {@code shardMode: LOOP}, an older server)
     */
    static Addresses addresses(String target, String host) {
        ManagedChannel main = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
        PartitionMap map;
        try {
            map = DecisionServiceGrpc.newBlockingStub(main).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getPartitionMap(GetPartitionMapRequest.getDefaultInstance());
        } finally {
            main.shutdownNow();
        }
        return addresses(map, host, target);
    }

    /** The channels and lanes of {@code map} (null: no shard ports); a partition without a port on {@code target}. */
    static ShardChannels lanes(PartitionMap map, String host, String target) {
        return open(addresses(map, host, target));
    }

    /** The addresses and lanes of {@code map} (null: no shard ports); a partition without a port on {@code target}. */
    static Addresses addresses(PartitionMap map, String host, String target) {
        if (map.getPartitionPortsCount() != PARTITIONS) {
            return null;
        }
        List<String> addresses = new ArrayList<>();
        int[] lanes = new int[PARTITIONS];
        for (int p = 0; p < PARTITIONS; p++) {
            int port = map.getPartitionPorts(p);
            String address = port > 0 && port <= 65535 ? host + ":" + port : target;
            if (!addresses.contains(address)) {
                addresses.add(address);
            }
            lanes[p] = addresses.indexOf(address);
        }
        return new Addresses(List.copyOf(addresses), lanes);
    }

    private static ShardChannels open(Addresses a) {
        if (a == null) {
            return null;
        }
        List<ManagedChannel> channels = new ArrayList<>();
        for (String address : a.addresses()) {
            channels.add(channel(address));
        }
        return new ShardChannels(channels, a.lanes());
    }

    /**
     * A server's shard ports.
     *
     * @param addresses one per shard port, in the order the map first names them (and the target's, if needed)
     * @param lanes index into {@code addresses} of each partition's port
     */
    record Addresses(List<String> addresses, int[] lanes) {
    }

    /**
     * A channel of the load tool to {@code address}: answers handled on the transport thread (they only record, never
     * block), and no retries, not even gRPC's transparent one of a stream the server never saw: each request of the
     * timetable is sent once, and what happened to that one send is what is counted.
     */
    static ManagedChannel channel(String address) {
        return Grpc.newChannelBuilder(address, InsecureChannelCredentials.create()).directExecutor().disableRetry()
                .build();
    }
}
