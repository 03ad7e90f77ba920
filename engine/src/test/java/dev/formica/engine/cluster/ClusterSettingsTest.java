package dev.formica.engine.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.pipeline.DecisionPipeline;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cluster settings, and the data layout that records which partitions a node's directory holds. */
class ClusterSettingsTest {
    private static final List<String> NODES = List.of("10.0.0.1:50051", "10.0.0.2:50051");

    @TempDir
    Path dir;

    private EngineConfiguration config() {
        return new EngineConfiguration().dataDir(dir.resolve("data")).shards(2).expectedBorrowers(1000)
                .expectedDecisionsPerDay(1000).velocityKeys(1024);
    }

    private static String refusal(EngineConfiguration c) {
        String message = assertThrows(IllegalStateException.class, c::conclude).getMessage();
        assertTrue(message.startsWith("configuration: "), message);
        return message.substring("configuration: ".length());
    }

    @Test
    void shouldReadTheClusterSettingsFromYaml() throws Exception {
        Path file = dir.resolve("node.yaml");
        Files.writeString(file, "clusterNodes:\n  - 10.0.0.1:50051\n  - 10.0.0.2:50051\nclusterNodeId: 1\n");
        EngineConfiguration c = EngineConfiguration.fromYaml(file).conclude();
        assertEquals(NODES, c.clusterNodes());
        assertEquals(1, c.clusterNodeId());
        assertEquals(List.of(), new EngineConfiguration().conclude().clusterNodes(), "one node by default");
    }

    @Test
    void shouldRefuseBadClusterSettingsNamingTheSetting() {
        assertTrue(refusal(new EngineConfiguration().clusterNodes(NODES).clusterNodeId(2))
                .startsWith("clusterNodeId must be"));
        assertTrue(refusal(new EngineConfiguration().clusterNodeId(1)).startsWith("clusterNodeId 1 is set without"));
        assertTrue(refusal(new EngineConfiguration().clusterNodes(List.of("10.0.0.1")))
                .startsWith("clusterNodes entry"));
        assertTrue(refusal(new EngineConfiguration().clusterNodes(List.of("a:1", "a:1")))
                .startsWith("clusterNodes lists an address twice"));
    }

    @Test
    void shouldReadTheReplicationSettingsAndRefuseBadOnes() throws Exception {
        Path file = dir.resolve("replicated.yaml");
        Files.writeString(file, "clusterNodes:\n  - 10.0.0.1:50051\n  - 10.0.0.2:50051\nclusterNodeId: 1\n"
                + "clusterReplication: ratis\nclusterRaftNodes:\n  - 10.0.0.1:50061\n  - 10.0.0.2:50061\n");
        EngineConfiguration c = EngineConfiguration.fromYaml(file).conclude();
        assertEquals(EngineConfiguration.Replication.RATIS, c.clusterReplication());
        assertEquals(List.of("10.0.0.1:50061", "10.0.0.2:50061"), c.clusterRaftNodes());
        assertEquals(2, c.shards(), "one shard per group a node hosts: min(3, nodes)");
        assertEquals(EngineConfiguration.ShardMode.DEDICATED, c.shardMode(),
                "shardMode not set: a replicated node runs DEDICATED, not the default LOOP");
        assertEquals(EngineConfiguration.Replication.OFF, new EngineConfiguration().conclude().clusterReplication());
        assertEquals(EngineConfiguration.ShardMode.LOOP, new EngineConfiguration().conclude().shardMode());

        assertTrue(refusal(new EngineConfiguration().clusterReplication(EngineConfiguration.Replication.RATIS))
                .startsWith("clusterReplication and clusterRaftNodes need clusterNodes"));
        assertTrue(refusal(new EngineConfiguration().clusterNodes(NODES)
                .clusterReplication(EngineConfiguration.Replication.RATIS).clusterRaftNodes(List.of("10.0.0.1:1")))
                .startsWith("clusterRaftNodes must list one Raft address per node"));
        assertTrue(refusal(new EngineConfiguration().clusterNodes(NODES).clusterRaftNodes(NODES))
                .startsWith("clusterRaftNodes is set without clusterReplication"));
        assertTrue(refusal(new EngineConfiguration().clusterNodes(NODES)
                .clusterReplication(EngineConfiguration.Replication.RATIS).clusterRaftNodes(List.of("a:1", "a:1")))
                .startsWith("clusterRaftNodes lists an address twice"));
        assertThrows(IllegalArgumentException.class, () -> EngineConfiguration.Replication.parse("paxos"));
    }

    @Test
    void shouldReadTheGroupCountAndTheGroupsANewNodeJoins() throws Exception {
        Path file = dir.resolve("added.yaml");
        Files.writeString(file, "clusterNodes: [a:1, b:1, c:1, d:1]\nclusterNodeId: 3\nclusterReplication: ratis\n"
                + "clusterRaftNodes: [a:2, b:2, c:2, d:2]\nclusterGroups: 3\nclusterJoin: [0, 2]\n");
        EngineConfiguration c = EngineConfiguration.fromYaml(file).conclude();
        assertEquals(3, c.clusterGroups());
        assertEquals(List.of(0, 2), c.clusterJoin());
        assertEquals(2, c.shards(), "a node past the group count hosts the groups it joins only");
        List<String> four = List.of("a:1", "b:1", "c:1", "d:1");
        List<String> raft = List.of("a:2", "b:2", "c:2", "d:2");
        EngineConfiguration old = new EngineConfiguration().clusterNodes(four).clusterRaftNodes(raft).clusterNodeId(1)
                .clusterReplication(EngineConfiguration.Replication.RATIS).clusterGroups(3).conclude();
        assertEquals(3, old.shards(), "a first node of a grown cluster keeps its three groups");
        assertEquals(4, new EngineConfiguration().clusterNodes(four).clusterRaftNodes(raft)
                .clusterReplication(EngineConfiguration.Replication.RATIS).conclude().clusterGroups(),
                "no clusterGroups: as many groups as nodes");

        assertTrue(refusal(new EngineConfiguration().clusterNodes(four).clusterRaftNodes(raft).clusterNodeId(3)
                .clusterReplication(EngineConfiguration.Replication.RATIS).clusterGroups(3))
                .startsWith("node 3 hosts no group"));
        assertTrue(refusal(new EngineConfiguration().clusterNodes(four).clusterRaftNodes(raft).clusterNodeId(3)
                .clusterReplication(EngineConfiguration.Replication.RATIS).clusterGroups(5))
                .startsWith("clusterGroups must be 1..4"));
        assertTrue(refusal(new EngineConfiguration().clusterNodes(four).clusterRaftNodes(raft).clusterNodeId(3)
                .clusterReplication(EngineConfiguration.Replication.RATIS).clusterGroups(3).clusterJoin(List.of(3)))
                .startsWith("clusterJoin lists group 3, not a group"));
        assertTrue(refusal(new EngineConfiguration().clusterNodes(four).clusterRaftNodes(raft).clusterNodeId(1)
                .clusterReplication(EngineConfiguration.Replication.RATIS).clusterGroups(3).clusterJoin(List.of(0)))
                .startsWith("clusterJoin lists group 0, which node 1 hosts already"));
        assertTrue(refusal(new EngineConfiguration().clusterNodes(NODES).clusterGroups(1))
                .startsWith("clusterGroups and clusterJoin need clusterReplication"));
    }

    @Test
    void shouldRefuseADirectoryOfOtherPartitions() {
        try (DecisionPipeline p = DecisionPipeline.open(config().clusterNodes(NODES).clusterNodeId(0),
                SystemEpochClock.INSTANCE)) {
            assertEquals("0-127", p.partitions().ownedRanges());
        }
        String message = assertThrows(IllegalStateException.class, () -> DecisionPipeline.open(
                config().clusterNodes(NODES).clusterNodeId(1), SystemEpochClock.INSTANCE)).getMessage();
        assertTrue(message.contains("holds partitions 0-127") && message.contains("give this node 128-255"), message);
        assertThrows(IllegalStateException.class, () -> DecisionPipeline.open(config(), SystemEpochClock.INSTANCE));
    }

    @Test
    void shouldUpgradeAFormatTwoDirectoryOfAPowerOfTwoShardCount() throws Exception {
        DecisionPipeline.open(config(), SystemEpochClock.INSTANCE).close();
        Path layout = dir.resolve("data").resolve("formica.properties");
        writeFormatTwo(layout, 2);

        DecisionPipeline.open(config(), SystemEpochClock.INSTANCE).close();

        Properties p = load(layout);
        assertEquals("4", p.getProperty("format"));
        assertEquals("0-255", p.getProperty("partitions.owned"));
    }

    @Test
    void shouldUpgradeAFormatThreeDirectoryInPlace() throws Exception {
        DecisionPipeline.open(config(), SystemEpochClock.INSTANCE).close();
        Path layout = dir.resolve("data").resolve("formica.properties");
        Properties three = load(layout);
        three.setProperty("format", "3");
        try (OutputStream out = Files.newOutputStream(layout)) {
            three.store(out, "as a build before preallocated log segments wrote it");
        }

        DecisionPipeline.open(config(), SystemEpochClock.INSTANCE).close();

        Properties p = load(layout);
        assertEquals("4", p.getProperty("format"), "format 3 reads as format 4: only the layout file changes");
        assertEquals(three.getProperty("id"), p.getProperty("id"));
        assertEquals(three.getProperty("partitions.owned"), p.getProperty("partitions.owned"));
    }

    @Test
    void shouldRefuseADirectoryOfALaterFormat() throws Exception {
        DecisionPipeline.open(config(), SystemEpochClock.INSTANCE).close();
        Path layout = dir.resolve("data").resolve("formica.properties");
        Properties later = load(layout);
        later.setProperty("format", "5");
        try (OutputStream out = Files.newOutputStream(layout)) {
            later.store(out, "as a later build wrote it");
        }

        String message = assertThrows(IllegalStateException.class,
                () -> DecisionPipeline.open(config(), SystemEpochClock.INSTANCE)).getMessage();

        assertTrue(message.contains("data format 5") && message.contains("reads format 4"), message);
    }

    @Test
    void shouldRefuseAFormatTwoDirectoryWhoseShardCountWouldMoveBorrowers() throws Exception {
        DecisionPipeline.open(config().shards(3), SystemEpochClock.INSTANCE).close();
        Path layout = dir.resolve("data").resolve("formica.properties");
        writeFormatTwo(layout, 3);

        String message = assertThrows(IllegalStateException.class,
                () -> DecisionPipeline.open(config().shards(3), SystemEpochClock.INSTANCE)).getMessage();

        assertTrue(message.contains("data format 2 with 3 shards") && message.contains("power-of-two"), message);
        assertEquals("2", load(layout).getProperty("format"), "the refused directory is left as it was");
    }

    private static void writeFormatTwo(Path layout, int shards) throws Exception {
        Properties p = new Properties();
        p.setProperty("format", "2");
        p.setProperty("shards", Integer.toString(shards));
        try (OutputStream out = Files.newOutputStream(layout)) {
            p.store(out, "as a build before partitions wrote it");
        }
    }

    private static Properties load(Path layout) throws Exception {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(layout)) {
            p.load(in);
        }
        return p;
    }
}
