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
 * {@code --shard-ports}: a channel per shard port of a {@code shardMode: LOOP} server (its partition map's
 * {@code partition_ports}) and which channel serves each partition, so that each Decide is read by the event loop that
 * owns its shard.
 *
 * @param channels one per shard port, in the order the map first names them
 * @param lanes index into {@code channels} of each partition's port
 */
record ShardChannels(List<ManagedChannel> channels, int[] lanes) {
    private static final int PARTITIONS = 256;

    /**
     * Reads {@code target}'s map and opens the channels.
     *
     * @throws IllegalArgumentException when the server names no shard ports (not {@code shardMode: LOOP})
     */
    static ShardChannels open(String target, String host) {
        ManagedChannel main = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
        PartitionMap map;
        try {
            map = DecisionServiceGrpc.newBlockingStub(main).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getPartitionMap(GetPartitionMapRequest.getDefaultInstance());
        } finally {
            main.shutdownNow();
        }
        if (map.getPartitionPortsCount() != PARTITIONS) {
            throw new IllegalArgumentException("--shard-ports: " + target + " names no shard ports (start it with"
                    + " shardMode: LOOP)");
        }
        List<Integer> ports = new ArrayList<>();
        int[] lanes = new int[PARTITIONS];
        for (int p = 0; p < PARTITIONS; p++) {
            int port = map.getPartitionPorts(p);
            if (!ports.contains(port)) {
                ports.add(port);
            }
            lanes[p] = ports.indexOf(port);
        }
        List<ManagedChannel> channels = new ArrayList<>();
        for (int port : ports) {
            // answers handled on the transport thread (they only record), as the other channels
            channels.add(Grpc.newChannelBuilder(host + ":" + port, InsecureChannelCredentials.create())
                    .directExecutor().build());
        }
        return new ShardChannels(channels, lanes);
    }
}
