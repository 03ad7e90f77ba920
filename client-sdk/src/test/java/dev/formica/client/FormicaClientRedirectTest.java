package dev.formica.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Product;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A stale or partial target list is corrected by the nodes' redirects and partition map. */
class FormicaClientRedirectTest {
    private static final List<String> NODES = List.of("node-0:7000", "node-1:7000");

    private final PartitionedNode[] nodes = {PartitionedNode.ranges(0, NODES), PartitionedNode.ranges(1, NODES)};
    private final InProcessTargets targets = new InProcessTargets();
    private FormicaClient client;

    private void start(List<String> clientTargets) {
        for (int i = 0; i < NODES.size(); i++) {
            targets.add(NODES.get(i), nodes[i]);
        }
        // shard ports off: these tests count the maps read for redirects; the default reads each target's map at
        // build (shouldReadEachTargetsMapOnceAtBuildAndKeepTheRoutesOfMapsWithoutShardPorts)
        client = FormicaClient.builder().targets(clientTargets).channelFactory(targets::channelFor).shardPorts(false)
                .build();
    }

    @Test
    void shouldReadEachTargetsMapOnceAtBuildAndKeepTheRoutesOfMapsWithoutShardPorts() {
        for (int i = 0; i < NODES.size(); i++) {
            targets.add(NODES.get(i), nodes[i]);
        }
        client = FormicaClient.builder().targets(NODES).channelFactory(targets::channelFor).build();
        assertEquals(1, nodes[0].mapReads.get(), "shard ports are the default: each target's map read at build");
        assertEquals(1, nodes[1].mapReads.get());
        assertEquals(NODES, client.routes().nodes(), "maps without partition_ports (DEDICATED, replicated nodes)");
        for (String borrower : borrowersOf(1, 2)) {
            assertEquals("node-1", client.decide(request(borrower)).getRuleSetVersion());
        }
        assertEquals(0, nodes[0].refusals.get() + nodes[1].refusals.get());
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        targets.close();
    }

    private static DecisionRequest request(String borrowerId) {
        return DecisionRequest.newBuilder().setBorrowerId(borrowerId).setProduct(Product.CONSUMER_CREDIT)
                .setAmountMinor(100).build();
    }

    /** Borrowers b-0.. whose partition node {@code owner} owns (ranges over two nodes). */
    private static List<String> borrowersOf(int owner, int n) {
        return java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "b-" + i)
                .filter(b -> BorrowerRouter.partition(b) * 2 / 256 == owner).limit(n).toList();
    }

    @Test
    void shouldLearnTheMapFromTheFirstRedirectAndSendEveryLaterCallToItsOwner() {
        // the targets in the wrong order: every borrower goes to the wrong node until the map is learnt
        start(List.of(NODES.get(1), NODES.get(0)));
        List<String> borrowers = new java.util.ArrayList<>(borrowersOf(1, 5));
        borrowers.addAll(borrowersOf(0, 5));

        for (String borrower : borrowers) {
            DecisionResponse d = client.decide(request(borrower));
            int owner = BorrowerRouter.partition(borrower) * 2 / 256;
            assertEquals("node-" + owner, d.getRuleSetVersion(), borrower + " answered by its owner");
            client.confirm(ConfirmRequest.newBuilder().setHoldId(d.getHoldId()).build());
        }

        assertEquals(1, nodes[0].refusals.get() + nodes[1].refusals.get(), "one redirect, then the map routes");
        assertEquals(1, nodes[0].mapReads.get() + nodes[1].mapReads.get());
        assertEquals(20, nodes[0].served.get() + nodes[1].served.get(), "10 decides and 10 confirms served");
        assertEquals(NODES, client.routes().nodes());
    }

    @Test
    void shouldReachNodesItWasNotGivenThroughTheMap() {
        start(List.of(NODES.get(0)));
        for (String borrower : borrowersOf(1, 3)) {
            DecisionResponse d = client.decide(request(borrower));
            assertEquals("node-1", d.getRuleSetVersion());
            client.confirm(ConfirmRequest.newBuilder().setHoldId(d.getHoldId()).build());
        }
        assertEquals(1, nodes[0].refusals.get());
        assertEquals(6, nodes[1].served.get());
        assertEquals(1, client.targetCount());

        client.close();
        assertEquals(2, targets.channels.size(), "one channel per node, the learnt one made once");
        assertTrue(targets.channels.stream().allMatch(io.grpc.ManagedChannel::isShutdown), "closed with the client");
    }

    @Test
    void shouldFollowTheOwnerNamedInTheRefusalWhenTheNodeHasNoMapRpc() {
        nodes[0].noMapRpc = true;
        nodes[1].noMapRpc = true;
        start(List.of(NODES.get(1), NODES.get(0)));
        List<String> borrowers = borrowersOf(0, 3);

        for (String borrower : borrowers) {
            assertEquals("node-0", client.decide(request(borrower)).getRuleSetVersion());
        }
        // only the refused partitions move; each distinct partition is refused once
        long partitions = borrowers.stream().map(BorrowerRouter::partition).distinct().count();
        assertEquals(partitions, nodes[1].refusals.get());
    }

    @Test
    void shouldAskAnotherNodesMapWhenANodeIsUnavailableAndRetryAtTheOwnerItNames() {
        // node 0 is down and node 1 took over its partitions (replication's failover)
        nodes[0].down = true;
        java.util.Arrays.fill(nodes[1].owners, 1);
        start(NODES);
        String borrower = borrowersOf(0, 1).get(0);

        assertEquals("node-1", client.decide(request(borrower)).getRuleSetVersion());
        assertEquals(1, nodes[0].unavailable.get(), "one attempt at the dead node");
        assertEquals(1, nodes[1].mapReads.get(), "then the other node's map");
        assertEquals(1, nodes[1].served.get());
        assertEquals(0, nodes[1].refusals.get());
    }

    @Test
    void shouldFailWithTheRefusalInsteadOfLoopingWhenTheOwnerIsTheRefusingNode() {
        nodes[1].ownerIsSelf = true;
        nodes[1].noMapRpc = true;
        start(List.of(NODES.get(1), NODES.get(0)));
        String borrower = borrowersOf(0, 1).get(0);

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.decide(request(borrower)));

        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("borrower_id: partition"));
        assertEquals(1, nodes[1].refusals.get());
    }
}
