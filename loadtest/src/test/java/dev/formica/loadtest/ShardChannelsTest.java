package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.formica.v1.PartitionMap;
import io.grpc.ManagedChannel;
import org.junit.jupiter.api.Test;

/** {@code --shard-ports}, the default: lanes from a partition map, and none from a server without shard ports. */
class ShardChannelsTest {

    @Test
    void shouldOpenAChannelPerShardPortAndSendPartitionsWithoutOneToTheTarget() {
        PartitionMap.Builder map = PartitionMap.newBuilder().setPartitionCount(256);
        for (int p = 0; p < 256; p++) {
            map.addPartitionPorts(p >= 200 ? 0 : p % 2 == 0 ? 21601 : 21602);
        }
        ShardChannels shards = ShardChannels.lanes(map.build(), "127.0.0.1", "127.0.0.1:21600");
        try {
            assertEquals(3, shards.channels().size());
            assertEquals("127.0.0.1:21601", shards.channels().get(shards.lanes()[0]).authority());
            assertEquals("127.0.0.1:21602", shards.channels().get(shards.lanes()[1]).authority());
            assertEquals("127.0.0.1:21600", shards.channels().get(shards.lanes()[200]).authority(),
                    "a partition the map names no port for goes to the target");
        } finally {
            shards.channels().forEach(ManagedChannel::shutdownNow);
        }
    }

    @Test
    void shouldGiveNoLanesForAServerWithoutShardPorts() {
        assertNull(ShardChannels.lanes(PartitionMap.newBuilder().setPartitionCount(256).build(), "127.0.0.1",
                "127.0.0.1:21600"), "a DEDICATED server: the load goes to --channels on the target");
    }
}
