package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.ReplicatedNodes.AMOUNT;
import static dev.formica.engine.pipeline.ReplicatedNodes.LAYOUT;
import static dev.formica.engine.pipeline.ReplicatedNodes.decide;
import static dev.formica.engine.pipeline.ReplicatedNodes.profile;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A network partition between a group's leader and the rest of its group, three replicated engines in this process
 * (gRPC 127.0.0.1:20700-20702, Raft 20710-20712; or from {@code -Dformica.ports.base=B}, B..B+2 and B+10..B+12). The
 * cut is made where Ratis's own tests make it: its {@link CodeInjectionForTesting} points in the Raft server's
 * handlers, so every append, vote and snapshot installation to or from the cut node fails as a broken connection would.
 * Clients still reach every node, which is the worst case: a caller on the minority's side of the cut.
 *
 * <p>What must hold: the cut-off leader releases no answer (it cannot commit); the majority elects a leader and
 * serves the partition; after the cut heals the old leader rejoins, and every released answer, and only those,
 * is in every replica's balances, with no request id acting twice.
 */
class ReplicatedPartitionTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 20700);
    private static final List<String> NODES = ReplicatedNodes.loopback(BASE);
    private static final List<String> RAFT = ReplicatedNodes.loopback(BASE + 10);
    private static final List<String> CUT_POINTS = List.of("RaftServerImpl.appendEntries",
            "RaftServerImpl.requestVote", "RaftServerImpl.installSnapshot");
    /** The Raft peer ids ("n0".."n2") cut off from every other peer. */
    private static final Set<String> CUT = ConcurrentHashMap.newKeySet();

    @TempDir
    Path dir;
    private ReplicatedNodes nodes;

    @BeforeEach
    void setUp() {
        CodeInjectionForTesting.Code cut = (local, remote, args) -> {
            if (CUT.contains(peer(local)) || CUT.contains(peer(remote))) {
                throw new IllegalStateException("network partition (test): " + local + " <-/-> " + remote);
            }
            return false;
        };
        CUT_POINTS.forEach(point -> CodeInjectionForTesting.put(point, cut));
        nodes = new ReplicatedNodes(dir, NODES, RAFT);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        CUT.clear();
        CUT_POINTS.forEach(CodeInjectionForTesting::remove);
        nodes.close();
    }

    /** "n1" of a peer id or a member id ("n1@group-..."). */
    private static String peer(Object id) {
        String s = String.valueOf(id);
        int at = s.indexOf('@');
        return at < 0 ? s : s.substring(0, at);
    }

    private static String[] borrowersOf(int group, int count) {
        return ReplicatedNodes.borrowersOf(group, "p-", count).toArray(String[]::new);
    }

    private static CreditLine line(FormicaClient client, String borrower) {
        return client.getCreditLine(GetCreditLineRequest.newBuilder().setBorrowerId(borrower)
                .setProduct(Product.CONSUMER_CREDIT).build());
    }

    @Test
    void aLeaderCutOffReleasesNothingAndTheMajorityServesWithoutIt() {
        nodes.startAll();
        nodes.awaitEveryGroupLedByItsOwnNode();
        String[] borrowers = borrowersOf(0, 4);
        int partition = Partitions.of(borrowers[0]);
        Map<String, String> holds = new HashMap<>();
        Map<String, Long> held = new HashMap<>();
        try (FormicaClient client = FormicaClient.builder().targets(nodes.targets())
                .defaultDeadline(Duration.ofSeconds(30)).build()) {
            // every call through the SDK is resent once its group is served again (WhenServed): a leader may step
            // down on a loaded box, and the majority's election after the cut takes its time
            for (String b : borrowers) {
                nodes.whenServed(0, () -> client.upsertProfile(profile(b)));
                DecisionResponse d = nodes.whenServed(0, () -> client.decide(decide(b, "before-" + b)));
                assertEquals(Outcome.APPROVE, d.getOutcome(), b);
                holds.put(b, d.getHoldId());
                held.put(b, AMOUNT);
            }
            // a healthy group first: every replica holds what was released (one that never caught up would leave
            // the cut a two-node failure, which no majority survives)
            awaitReplicasHold(borrowers, held);
            int leader = nodes.awaitLeader(0);

            CUT.add("n" + leader);
            // a caller on the leader's side of the cut: the answer cannot be committed, so it is never released
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () ->
                    DecisionServiceGrpc.newBlockingStub(nodes.channel(leader)).withDeadlineAfter(3, TimeUnit.SECONDS)
                            .decide(decide(borrowers[0], "during-" + borrowers[0])));
            assertNotEquals(Status.Code.OK, refused.getStatus().getCode());

            // the majority elects another leader, and the cut-off one stops claiming the partition
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                    !nodes.claims(leader, partition) && nodes.claimant(partition) >= 0);
            int successor = nodes.claimant(partition);
            assertNotEquals(leader, successor);
            // the majority's side serves the partition, new decisions included
            DecisionResponse served = nodes.whenServed(0, () -> client.decide(decide(borrowers[1],
                    "majority-" + borrowers[1])));
            assertEquals(Outcome.APPROVE, served.getOutcome());
            held.merge(borrowers[1], AMOUNT, Long::sum);

            CUT.clear();
            // the old leader took a Decide it could not commit: it must not serve on that memory (fail-stop), and
            // its supervisor restarts it from its Raft log; had it taken none, it follows as it is
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                    nodes.failStops.get() > 0 || followsCleanly(leader, borrowers[1], held.get(borrowers[1])));
            if (nodes.failStops.get() > 0) {
                nodes.stop(leader);
                nodes.start(leader);
            }
            nodes.awaitEveryGroupLedByItsOwnNode();

            // the answer that was never released acts once, now; the released ones replay with their holds
            AtomicInteger sends = new AtomicInteger();
            DecisionResponse retried = nodes.whenServed(0, () -> {
                sends.incrementAndGet();
                return client.decide(decide(borrowers[0], "during-" + borrowers[0]));
            });
            assertEquals(Outcome.APPROVE, retried.getOutcome());
            if (sends.get() == 1) {
                // a resend after a refusal replays what its first send committed: only a first send can tell
                assertFalse(retried.getReplayed(), "the cut-off leader's answer was never committed");
            }
            held.merge(borrowers[0], AMOUNT, Long::sum);
            for (String b : borrowers) {
                DecisionResponse again = nodes.whenServed(0, () -> client.decide(decide(b, "before-" + b)));
                assertTrue(again.getReplayed(), b);
                assertEquals(holds.get(b), again.getHoldId(), b);
                assertEquals(held.get(b), nodes.whenServed(0, () -> line(client, b)).getHeldMinor(), b);
            }
            // every replica, the old leader's too, holds exactly the released answers
            awaitReplicasHold(borrowers, held);
        }
    }

    private void awaitReplicasHold(String[] borrowers, Map<String, Long> held) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (String b : borrowers) {
                for (int node : LAYOUT.replicasOf(LAYOUT.groupOf(Partitions.of(b)))) {
                    LedgerSnapshot s = nodes.lineOn(node, b);
                    assertTrue(s != null, b + " on node " + node);
                    assertEquals(held.get(b), s.heldMinor(), b + " held on node " + node);
                }
            }
        });
    }

    /** Whether {@code node} holds {@code borrower}'s line as the majority committed it. */
    private boolean followsCleanly(int node, String borrower, long heldMinor) {
        LedgerSnapshot s = nodes.lineOn(node, borrower);
        return s != null && s.heldMinor() == heldMinor;
    }

    @Test
    void aLeaderCutOffWithNothingInFlightRejoinsAsAFollowerWithoutARestart() {
        nodes.startAll();
        nodes.awaitEveryGroupLedByItsOwnNode();
        String[] borrowers = borrowersOf(1, 2);
        int partition = Partitions.of(borrowers[0]);
        try (FormicaClient client = FormicaClient.builder().targets(nodes.targets())
                .defaultDeadline(Duration.ofSeconds(30)).build()) {
            for (String b : borrowers) {
                nodes.whenServed(1, () -> client.upsertProfile(profile(b)));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> IntStream.range(0, 3).allMatch(n ->
                    nodes.holdsProfile(n, borrowers[1])));
            int leader = nodes.awaitLeader(1);
            CUT.add("n" + leader);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                    !nodes.claims(leader, partition) && nodes.claimant(partition) >= 0);
            DecisionResponse d = nodes.whenServed(1, () -> client.decide(decide(borrowers[0], "cut-" + borrowers[0])));
            assertEquals(Outcome.APPROVE, d.getOutcome());
            CUT.clear();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                LedgerSnapshot s = nodes.lineOn(leader, borrowers[0]);
                assertTrue(s != null && s.heldMinor() == AMOUNT, "the old leader applied the majority's answer");
            });
            assertEquals(AMOUNT, nodes.whenServed(1, () -> line(client, borrowers[0])).getHeldMinor());
        }
        assertEquals(0, nodes.failStops.get(), "a leader with nothing uncommitted needs no restart");
    }
}
