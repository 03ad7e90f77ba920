package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.Formica;
import dev.formica.engine.config.EngineConfiguration;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve --warmup-decisions}: real calls against a scratch server that leaves nothing behind. */
class ServerWarmupTest {
    @TempDir
    Path dir;

    private static Set<Path> scratchDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("formica-warmup-"))
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void shouldDecideOnAScratchDirectoryAndLeaveTheDataDirectoryAndTempUntouched() throws Exception {
        Path dataDir = dir.resolve("data");
        Set<Path> before = scratchDirs();
        EngineConfiguration settings = new EngineConfiguration().dataDir(dataDir).shards(2);

        ServerWarmup.Result r = ServerWarmup.run(settings, 1_000, 2_000);

        assertEquals(1_000, r.decisions());
        assertEquals(0, r.errors(), "every warm-up call is answered");
        assertTrue(r.confirmsAndCancels() > 0, "approvals are followed by confirms and cancels");
        assertFalse(Files.exists(dataDir), "the real data directory is never created by the warm-up");
        assertEquals(before, scratchDirs(), "the scratch directory is deleted");
    }

    @Test
    void shouldWarmAReplicatedNodeUpAsOneNodeOfItsOwnOffTheRealRaftPort() throws Exception {
        try (java.net.ServerSocket raft = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            // the real node's Raft port is taken (by this socket standing in for it), its peers do not exist
            String self = "127.0.0.1:" + raft.getLocalPort();
            EngineConfiguration settings = new EngineConfiguration().dataDir(dir.resolve("data"))
                    .clusterNodes(java.util.List.of("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3")).clusterNodeId(0)
                    .clusterReplication(EngineConfiguration.Replication.RATIS)
                    .clusterRaftNodes(java.util.List.of(self, "127.0.0.1:4", "127.0.0.1:5"));

            ServerWarmup.Result r = ServerWarmup.run(settings, 500, 2_000);

            assertEquals(500, r.decisions());
            assertEquals(0, r.errors(), "a scratch server of one node owning everything answers every call");
            assertEquals(EngineConfiguration.ShardMode.DEDICATED, settings.shardMode(),
                    "warmed up in the mode the replicated node runs (it leaves the default LOOP), not LOOP");
            assertFalse(Files.exists(dir.resolve("data")), "the real data directory is never created");
        }
    }

    @Test
    void shouldRefuseATakenPortBeforeWarmingUp() throws Exception {
        Path dataDir = dir.resolve("never");
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int exit = Formica.run("serve", "--port", String.valueOf(taken.getLocalPort()),
                    "--data-dir", dataDir.toString(), "--warmup-decisions", "1000");
            assertEquals(2, exit);
            String why = ServeCommand.takenPort("127.0.0.1", taken.getLocalPort(), "--metrics-port");
            assertTrue(why.contains("choose another --metrics-port"), why);
        }
        assertFalse(Files.exists(dataDir), "refused before the warm-up and before any state was opened");
        assertNull(ServeCommand.takenPort("127.0.0.1", 0, "--port"), "0 means any free port");
    }

    @Test
    void shouldRefuseANegativeWarmupBeforeStartingAnything() {
        Path dataDir = dir.resolve("never");
        int exit = Formica.run("serve", "--port", "0", "--data-dir", dataDir.toString(),
                "--warmup-decisions", "-1");
        assertEquals(2, exit);
        assertFalse(Files.exists(dataDir));
    }
}
