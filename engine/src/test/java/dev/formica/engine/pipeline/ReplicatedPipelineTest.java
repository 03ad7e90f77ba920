package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.ReplicatedNodes.AMOUNT;
import static dev.formica.engine.pipeline.ReplicatedNodes.LAYOUT;
import static dev.formica.engine.pipeline.ReplicatedNodes.decide;
import static dev.formica.engine.pipeline.ReplicatedNodes.profile;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three replicated engines in this process (gRPC 127.0.0.1:20630-20632, Raft 20640-20642; or from
 * {@code -Dformica.ports.base=B}, B..B+2 and B+10..B+12): every partition served by
 * exactly one node, the leader of its group; followers hold the leader's effects; a leader stopped, its group served
 * by another replica with every answer it released (same hold ids, balances); the stopped node back as a follower.
 * The kill -9 of a process is {@code ReplicatedFailoverTest} in module cluster.
 */
class ReplicatedPipelineTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 20630);
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
    void aLeaderStoppedLosesNoAnswerAndComesBackAsAFollower() {
        for (int node = 0; node < 3; node++) {
            nodes.start(node);
        }
        nodes.awaitEveryGroupLedByItsOwnNode();
        List<String> borrowers = IntStream.range(0, 24).mapToObj(i -> "b-" + i).toList();
        Map<String, String> holds = new HashMap<>();
        Map<String, long[]> model = new HashMap<>(); // held, drawn
        try (FormicaClient client = FormicaClient.builder().targets(nodes.targets())
                .defaultDeadline(Duration.ofSeconds(30)).build()) {
            // every call resent once its group is served again, should a leader step down on a loaded box
            for (String b : borrowers) {
                nodes.whenServed(b, () -> client.upsertProfile(profile(b)));
                DecisionResponse d = nodes.whenServed(b, () -> client.decide(decide(b, "d-" + b)));
                assertEquals(Outcome.APPROVE, d.getOutcome(), b);
                holds.put(b, d.getHoldId());
                model.put(b, new long[] {AMOUNT, 0});
            }
            for (String b : borrowers.subList(0, 12)) {
                ConfirmRequest confirm = ConfirmRequest.newBuilder().setRequestId("c-" + b).setHoldId(holds.get(b))
                        .build();
                nodes.whenServed(b, () -> client.confirm(confirm));
                model.put(b, new long[] {0, AMOUNT});
            }
            // every replica holds the leader's effects
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                for (String b : borrowers) {
                    for (int node : LAYOUT.replicasOf(LAYOUT.groupOf(Partitions.of(b)))) {
                        LedgerSnapshot s = nodes.lineOn(node, b);
                        assertTrue(s != null, b + " on node " + node);
                        assertEquals(model.get(b)[0], s.heldMinor(), b + " held on node " + node);
                        assertEquals(model.get(b)[1], s.drawnMinor(), b + " drawn on node " + node);
                    }
                }
            });
            int leader = nodes.awaitLeader(ReplicatedNodes.groupOf(borrowers.get(0)));
            nodes.stop(leader);
            nodes.awaitEveryGroupServed();
            assertTrue(nodes.claimant(Partitions.of(borrowers.get(0))) != leader);
            for (String b : borrowers) {
                DecisionResponse again = nodes.whenServed(b, () -> client.decide(decide(b, "d-" + b)));
                assertTrue(again.getReplayed(), b);
                assertEquals(holds.get(b), again.getHoldId(), b);
                CreditLine line = nodes.whenServed(b, () -> client.getCreditLine(GetCreditLineRequest.newBuilder()
                        .setBorrowerId(b).setProduct(Product.CONSUMER_CREDIT).build()));
                assertEquals(model.get(b)[0], line.getHeldMinor(), b);
                assertEquals(model.get(b)[1], line.getDrawnMinor(), b);
            }
            String moved = borrowers.get(0);
            DecisionResponse after = nodes.whenServed(moved, () -> client.decide(decide(moved, "d2-" + moved)));
            assertEquals(Outcome.APPROVE, after.getOutcome());
            model.get(moved)[0] += AMOUNT;
            nodes.start(leader);
            nodes.awaitEveryGroupServed();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                LedgerSnapshot s = nodes.lineOn(leader, moved);
                assertTrue(s != null);
                assertEquals(model.get(moved)[0], s.heldMinor());
                assertEquals(model.get(moved)[1], s.drawnMinor());
            });
        }
        assertEquals(0, nodes.failStops.get(), "no replica had to stop");
    }

    @Test
    void eachNodeTakesItsOwnGroupBackUnderLoadWithoutLosingAnAnswer() throws Exception {
        for (int node = 0; node < 3; node++) {
            nodes.start(node);
        }
        nodes.awaitEveryGroupLedByItsOwnNode();
        List<String> borrowers = IntStream.range(0, 24).mapToObj(i -> "h-" + i).toList();
        Map<String, String> holds = new HashMap<>(); // request id -> hold id (approvals)
        Map<String, Long> held = new HashMap<>();
        AtomicInteger handedBack = new AtomicInteger();
        try (FormicaClient client = nodes.client(borrowers)) {
            nodes.stop(0); // group 0 fails over to node 1 or 2
            nodes.awaitEveryGroupServed();
            ExecutorService load = Executors.newSingleThreadExecutor();
            Future<?> decided = load.submit(() -> {
                // decides until every group is led by its own node (then on to a 20th call)
                for (int i = 0; handedBack.get() == 0 || i % 20 != 0 || holds.size() < 20; i++) {
                    String b = borrowers.get(i % borrowers.size());
                    String requestId = "r-" + i;
                    DecisionResponse d = nodes.whenServed(b, () -> client.decide(decide(b, requestId)));
                    if (d.getOutcome() == Outcome.APPROVE) {
                        synchronized (holds) {
                            holds.put("r-" + i + "/" + b, d.getHoldId());
                        }
                        held.merge(b, AMOUNT, Long::sum);
                    }
                }
            });
            nodes.start(0);
            nodes.awaitEveryGroupLedByItsOwnNode();
            handedBack.set(1);
            decided.get(120, TimeUnit.SECONDS);
            load.shutdown();
            for (Map.Entry<String, String> e : holds.entrySet()) {
                String[] idAndBorrower = e.getKey().split("/");
                DecisionResponse again = nodes.whenServed(idAndBorrower[1], () -> client.decide(
                        decide(idAndBorrower[1], idAndBorrower[0])));
                assertTrue(again.getReplayed(), e.getKey());
                assertEquals(e.getValue(), again.getHoldId(), e.getKey());
            }
            for (String b : borrowers) {
                CreditLine line = nodes.whenServed(b, () -> client.getCreditLine(GetCreditLineRequest.newBuilder()
                        .setBorrowerId(b).setProduct(Product.CONSUMER_CREDIT).build()));
                assertEquals(held.getOrDefault(b, 0L), line.getHeldMinor(), b);
            }
        }
        assertEquals(0, nodes.failStops.get(), "a hand-over never leaves its old leader with uncommitted effects");
    }
}
