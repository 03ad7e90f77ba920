package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.ReplicatedNodes.AMOUNT;
import static dev.formica.engine.pipeline.ReplicatedNodes.LAYOUT;
import static dev.formica.engine.pipeline.ReplicatedNodes.decide;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.cluster.Partitions;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Decides through the SDK on a thread of its own, one request id after another, for 16 borrowers of group 0 and 8
 * others, while a test moves groups or changes their members; keeps a model of what was approved (the hold id of
 * each request id, the amount each borrower holds) and checks at the end that every approval replays once with its
 * hold and that each borrower holds what the model says. A Decide refused while the old and the new leader name
 * each other (redirects during a hand-over), or while its group has no leader (an election that outlasts the SDK's
 * retries on a loaded box), is resent with its request id once a node serves the group ({@link WhenServed}).
 */
final class ModelledDecideLoad {
    /** The borrowers the load decides for (to build the client's routing with). */
    static final List<String> BORROWERS = Stream.concat(
            IntStream.range(0, 400).mapToObj(i -> "m-" + i).filter(b -> LAYOUT.groupOf(Partitions.of(b)) == 0)
                    .limit(16),
            IntStream.range(0, 8).mapToObj(i -> "o-" + i)).toList();

    private final FormicaClient client;
    private final IntPredicate served;
    private final List<String> borrowers = BORROWERS;
    /** Request id/borrower -> hold id, for every approval acknowledged. */
    private final Map<String, String> holds = new ConcurrentHashMap<>();
    private final Map<String, Long> held = new ConcurrentHashMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger decided = new AtomicInteger();
    private ExecutorService thread;
    private Future<?> running;

    /** @param served whether some node serves a group now (the cluster's nodes' own maps) */
    ModelledDecideLoad(FormicaClient client, IntPredicate served) {
        this.client = client;
        this.served = served;
    }

    /** Starts deciding; {@link #stop} ends it. */
    ModelledDecideLoad start() {
        thread = Executors.newSingleThreadExecutor();
        running = thread.submit(() -> {
            for (int i = 0; !stop.get(); i++) {
                String b = borrowers.get(i % borrowers.size());
                DecisionResponse d = decideResending(b, "r-" + i);
                if (d.getOutcome() == Outcome.APPROVE) {
                    holds.put("r-" + i + "/" + b, d.getHoldId());
                    held.merge(b, AMOUNT, Long::sum);
                }
                decided.incrementAndGet();
            }
        });
        return this;
    }

    /** Decisions answered so far. */
    int decided() {
        return decided.get();
    }

    /** Stops the load and waits for its last decision; a decision that failed fails here. */
    void stop() throws Exception {
        stop.set(true);
        try {
            running.get(120, TimeUnit.SECONDS);
        } finally {
            thread.shutdown();
        }
    }

    /** Every approval acknowledged replays with its hold id; each borrower's held amount is the model's. */
    void assertEveryApprovalOnce() {
        assertFalse(holds.isEmpty());
        for (Map.Entry<String, String> e : holds.entrySet()) {
            String[] idAndBorrower = e.getKey().split("/");
            DecisionResponse again = decideResending(idAndBorrower[1], idAndBorrower[0]);
            assertTrue(again.getReplayed(), e.getKey());
            assertEquals(e.getValue(), again.getHoldId(), e.getKey());
        }
        Map<String, Long> model = new HashMap<>(held);
        List<String> wrong = new ArrayList<>();
        for (String b : borrowers) {
            CreditLine line = WhenServed.call(served, LAYOUT.groupOf(Partitions.of(b)), () -> client.getCreditLine(
                    GetCreditLineRequest.newBuilder().setBorrowerId(b).setProduct(Product.CONSUMER_CREDIT).build()));
            if (model.getOrDefault(b, 0L) != line.getHeldMinor()) {
                wrong.add(b + " held " + line.getHeldMinor() + ", model " + model.getOrDefault(b, 0L));
            }
        }
        assertEquals(List.of(), wrong, "each request id reserved once");
    }

    /** A Decide resent with its request id once its group is served, after a refusal worth a retry. */
    private DecisionResponse decideResending(String borrower, String requestId) {
        return WhenServed.call(served, LAYOUT.groupOf(Partitions.of(borrower)), () ->
                client.decide(decide(borrower, requestId)));
    }
}
