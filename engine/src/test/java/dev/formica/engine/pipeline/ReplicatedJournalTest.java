package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.ReplicatedNodes.LAYOUT;
import static dev.formica.engine.pipeline.ReplicatedNodes.borrowersOf;
import static dev.formica.engine.pipeline.ReplicatedNodes.decide;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.journal.JournalEntry;
import dev.formica.engine.journal.Journals;
import dev.formica.engine.replay.AuditTrail;
import dev.formica.engine.replay.Sandbox;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Profile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit trail of a replicated cluster (three engines in this process, gRPC 127.0.0.1:22610-22612, Raft
 * 22620-22622; or from {@code -Dformica.repljournal.port=P}, P+10.. and P+20..): a replicated node writes no local
 * shard log, and {@link AuditTrail} reads each hosted group's Raft log instead, so every node, which hosts every
 * group, reads every decision the cluster released, once, with the answer the client got, the group as its shard,
 * and the profiles a backtest needs; beside the running nodes and with every node stopped.
 */
class ReplicatedJournalTest {
    private static final int BASE = Integer.getInteger("formica.repljournal.port", 22600) + 10;
    private static final List<String> NODES = ReplicatedNodes.loopback(BASE);
    private static final List<String> RAFT = ReplicatedNodes.loopback(BASE + 10);

    @TempDir
    Path dir;
    private ReplicatedNodes nodes;

    @BeforeEach
    void setUp() {
        nodes = new ReplicatedNodes(dir, NODES, RAFT);
    }

    @AfterEach
    void stop() throws InterruptedException {
        nodes.close();
    }

    @Test
    void everyNodeReadsTheClustersDecisionsFromItsRaftLogs() {
        nodes.startAll();
        nodes.awaitEveryGroupLedByItsOwnNode();
        List<String> borrowers = IntStream.range(0, 3).boxed().flatMap(g -> borrowersOf(g, "j" + g + "-", 4).stream())
                .toList();
        Map<String, DecisionResponse> answers = new LinkedHashMap<>(); // by request id
        try (FormicaClient client = nodes.client(borrowers)) {
            for (int round = 0; round < 2; round++) {
                for (String b : borrowers) {
                    String requestId = "r" + round + "-" + b;
                    answers.put(requestId, nodes.whenServed(b, () -> client.decide(decide(b, requestId))));
                }
            }
        }
        // followers apply behind the leader: each node's trail fills up to the last answer
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (int node = 0; node < 3; node++) {
                assertTrail(node, answers);
            }
        });
        for (int node = 0; node < 3; node++) {
            nodes.stop(node);
        }
        for (int node = 0; node < 3; node++) {
            assertTrail(node, answers); // read-only, no server needed
            Set<String> profiled = Sandbox.profilesOf(nodes.dataDir(node)).stream().map(Profile::getBorrowerId)
                    .collect(Collectors.toSet());
            assertEquals(Set.copyOf(borrowers), profiled, "the profiles a backtest replays against, node " + node);
        }
    }

    private void assertTrail(int node, Map<String, DecisionResponse> answers) {
        List<JournalEntry> entries = new ArrayList<>();
        try (Journals.Merged trail = AuditTrail.open(nodes.dataDir(node))) {
            assertEquals(3, trail.shards(), "a Raft log per hosted group on node " + node);
            for (JournalEntry e = trail.next(); e != null; e = trail.next()) {
                entries.add(e);
            }
            assertEquals(List.of(), trail.notes(), "nothing purged");
        }
        Map<String, JournalEntry> byRequest = new TreeMap<>();
        for (JournalEntry e : entries) {
            JournalEntry twice = byRequest.put(e.request().getRequestId(), e);
            assertEquals(null, twice, "journaled once: " + e.request().getRequestId() + " on node " + node);
        }
        assertEquals(new TreeMap<>(answers).keySet(), byRequest.keySet(), "every decision released, node " + node);
        for (Map.Entry<String, DecisionResponse> a : answers.entrySet()) {
            JournalEntry e = byRequest.get(a.getKey());
            String borrower = e.request().getBorrowerId();
            assertEquals(a.getValue().getOutcome(), e.response().getOutcome(), a.getKey());
            assertEquals(a.getValue().getHoldId(), e.response().getHoldId(), a.getKey());
            assertEquals(LAYOUT.groupOf(Partitions.of(borrower)), e.shard(), "the group as the shard: " + a.getKey());
        }
        for (int i = 1; i < entries.size(); i++) {
            assertTrue(entries.get(i - 1).timeMs() <= entries.get(i).timeMs(), "merged in time order");
        }
    }
}
