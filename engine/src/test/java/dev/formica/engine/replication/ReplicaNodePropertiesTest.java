package dev.formica.engine.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;

/** Ratis settings given as {@code raft.*} system properties replace the replicas' settings; nothing else does. */
class ReplicaNodePropertiesTest {
    @Test
    void shouldTakeRaftPropertiesOnlyAndLetThemReplaceTheDefaults() {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.Write.setElementLimit(p, ReplicaNode.PENDING_WRITES);
        Properties system = new Properties();
        system.setProperty("raft.server.write.element-limit", "1024");
        system.setProperty("raft.grpc.server.heartbeat.channel", "false");
        system.setProperty("formica.raft.server.log.force.sync.num", "7");
        system.setProperty("java.version", "17");

        ReplicaNode.overrides(p, system);

        assertEquals(1024, RaftServerConfigKeys.Write.elementLimit(p), "a setting the replicas make is replaced");
        assertFalse(GrpcConfigKeys.Server.heartbeatChannel(p), "a Ratis default is replaced");
        assertNull(p.get("formica.raft.server.log.force.sync.num"), "only names that start with raft.");
        assertNull(p.get("java.version"));
    }

    @Test
    void shouldKeepTheReplicaSettingsWithoutRaftProperties() {
        RaftProperties p = ReplicaNode.properties();
        assertEquals(ReplicaNode.PENDING_WRITES, RaftServerConfigKeys.Write.elementLimit(p));
        assertEquals(ReplicaNode.ELECTION_MIN_MS,
                RaftServerConfigKeys.Rpc.timeoutMin(p).toLong(TimeUnit.MILLISECONDS));
        assertEquals(ReplicaNode.ELECTION_MAX_MS,
                RaftServerConfigKeys.Rpc.timeoutMax(p).toLong(TimeUnit.MILLISECONDS));
        assertEquals(ReplicaNode.ELECTION_MAX_MS,
                RaftServerConfigKeys.LeaderElection.leaderStepDownWaitTime(p).toLong(TimeUnit.MILLISECONDS),
                "a leader that lost its majority's heartbeats stands again after an election timeout, not 10 s");
        assertFalse(RaftServerConfigKeys.Log.logMetadataEnabled(p), "no commit-index entries in the log");
        assertFalse(RaftServerConfigKeys.Log.asyncFlushEnabled(p), "a follower acknowledges after its sync");
        assertFalse(RaftServerConfigKeys.Log.unsafeFlushEnabled(p), "the log is synced before an entry counts");
        assertFalse(RaftServerConfigKeys.Log.appendEntriesComposeEnabled(p),
                "a follower appends each request itself (composed appends can acknowledge entries never appended)");
        assertEquals(0, RaftServerConfigKeys.Log.Appender.waitTimeMin(p).toLong(TimeUnit.MILLISECONDS),
                "no pacing floor between two appends to a follower");
    }

    @Test
    void shouldLetAMeasurementPutTheAppendersPacingBack() {
        Properties system = new Properties();
        system.setProperty("raft.server.log.appender.wait-time.min", "1ms");
        RaftProperties p = ReplicaNode.properties();

        ReplicaNode.overrides(p, system);

        assertEquals(1, RaftServerConfigKeys.Log.Appender.waitTimeMin(p).toLong(TimeUnit.MILLISECONDS),
                "Ratis's default again, for an A/B run without a build");
    }
}
