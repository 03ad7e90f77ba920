package dev.formica.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.client.RetryPolicy;
import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.pipeline.WhenServed;
import dev.formica.engine.replication.GroupLayout;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.PartitionMap;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 22's failover test: three replicated engines as processes on 127.0.0.1 (gRPC 20660-20662, Raft
 * 20670-20672; or from {@code -Dformica.ports.base=B}: B..B+2 and B+10..B+12), Decide and Confirm load through the
 * Java SDK, {@code kill -9} of the leader of a partition's group, then its restart. Asserts that every answer released
 * before the kill replays afterwards with the same hold id, that the balances equal a model built from one answer per
 * request id (so no request id reserved twice), and that no two nodes ever claimed one partition in their maps
 * (polled all along). The load runs {@code formica.failover.seconds} (default 12) in all;
 * {@code -Dformica.failover.seconds=300} is the long variant (docs/cluster.md).
 */
class ReplicatedFailoverTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 20660);
    private static final List<String> NODES = NodeProcesses.loopback(BASE, 3);
    private static final List<String> RAFT = NodeProcesses.loopback(BASE + 10, 3);
    private static final GroupLayout LAYOUT = new GroupLayout(3);
    private static final long LINE = 1_000_000_000L;
    private static final int WORKERS = 4;

    @TempDir
    Path dir;

    /** A released answer to a Decide. */
    private record Decided(String borrower, Outcome outcome, String holdId, long requested) {
        /** What the answer reserved. */
        long held() {
            return outcome == Outcome.APPROVE ? requested : 0;
        }
    }

    private final Map<String, Decided> decided = new ConcurrentHashMap<>();
    private final Map<String, DecisionRequest> unansweredDecides = new ConcurrentHashMap<>();
    /** hold id -> amount drawn, for every Confirm answered. */
    private final Map<String, Long> confirmed = new ConcurrentHashMap<>();
    private final Map<String, ConfirmRequest> unansweredConfirms = new ConcurrentHashMap<>();
    private final List<String> doubleClaims = new CopyOnWriteArrayList<>();
    private final AtomicLong killedAtNanos = new AtomicLong();
    private final AtomicLong servedAgainNanos = new AtomicLong();

    @Test
    void killNineOfALeaderLosesNoReleasedAnswer() throws Exception {
        long seconds = Long.getLong("formica.failover.seconds", 12);
        List<String> borrowers = IntStream.range(0, 200).mapToObj(i -> "fo-" + i).toList();
        try (NodeProcesses cluster = new NodeProcesses(dir, NODES, RAFT)) {
            for (int i = 0; i < 3; i++) {
                cluster.start(i);
            }
            awaitEveryPartitionServed(cluster);
            AtomicBoolean running = new AtomicBoolean(true);
            ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor();
            monitor.scheduleWithFixedDelay(() -> watchClaims(cluster), 0, 100, TimeUnit.MILLISECONDS);
            try (FormicaClient client = client()) {
                for (String b : borrowers) {
                    Profile profile = Profile.newBuilder().setBorrowerId(b).setRegion("CN-31").addLines(
                            ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(LINE)).build();
                    whenServed(cluster, () -> client.upsertProfile(profile));
                }
                String victim = borrowers.get(0);
                int group = LAYOUT.groupOf(Partitions.of(victim));
                List<Thread> workers = new ArrayList<>();
                for (int w = 0; w < WORKERS; w++) {
                    int worker = w;
                    Thread t = new Thread(() -> load(client, borrowers, group, worker, running), "load-" + w);
                    t.start();
                    workers.add(t);
                }
                long third = Duration.ofSeconds(seconds).toMillis() / 3;
                runFor(third);
                await().atMost(Duration.ofSeconds(30)).until(() -> decided.size() > 20);
                Map<String, Decided> beforeKill = Map.copyOf(decided);
                int leader = awaitClaimant(cluster, Partitions.of(victim));
                killedAtNanos.set(System.nanoTime());
                cluster.kill(leader);
                await().atMost(Duration.ofSeconds(60)).until(() -> servedAgainNanos.get() != 0);
                long failoverMs = (servedAgainNanos.get() - killedAtNanos.get()) / 1_000_000;
                runFor(third / 2);
                cluster.start(leader);
                awaitEveryPartitionServed(cluster);
                runFor(third);
                running.set(false);
                for (Thread t : workers) {
                    t.join();
                }
                resolveUnanswered(cluster, client);
                checkReplays(cluster, client, beforeKill);
                checkBalances(cluster, client, borrowers);
                System.out.println("failover test: " + decided.size() + " decides, " + confirmed.size()
                        + " confirms; node " + leader + " (leader of group " + group + ") killed; first Decide of"
                        + " that group sent after the kill answered " + failoverMs + " ms after it");
            } finally {
                running.set(false);
                monitor.shutdownNow();
                monitor.awaitTermination(10, TimeUnit.SECONDS);
            }
            for (int i = 0; i < 3; i++) {
                assertTrue(!cluster.exitedOnItsOwn(i), "node " + i + " exited on its own (fail-stop?): see "
                        + cluster.output(i) + "\n" + tail(cluster.output(i)));
            }
        }
        assertEquals(List.of(), doubleClaims, "two nodes answered for one partition");
    }

    private static FormicaClient client() {
        return FormicaClient.builder().targets(NODES).defaultDeadline(Duration.ofSeconds(20))
                .retryPolicy(RetryPolicy.builder().maxAttempts(30).maxBackoff(Duration.ofMillis(250)).build())
                .build();
    }

    /**
     * The node that claims {@code partition}, once one does: a leader that stepped down on a loaded box leaves it
     * unclaimed until the next election (two claimants at once are what {@link #watchClaims} catches).
     */
    private static int awaitClaimant(NodeProcesses cluster, int partition) {
        AtomicInteger claimant = new AtomicInteger(-1);
        await("a node claiming partition " + partition).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    List<Integer> claims = cluster.claimants(partition, cluster.maps());
                    claimant.set(claims.size() == 1 ? claims.get(0) : -1);
                    return claimant.get() >= 0;
                });
        return claimant.get();
    }

    /**
     * {@code call}'s answer, sent again after a refusal worth a retry once every partition is claimed again: the
     * SDK's 30 attempts end within seconds, and on a loaded box an election after a leader's step-down can take
     * longer (docs/cluster.md, "When a leader steps down"). {@code call} must be safe to repeat (a fixed request id:
     * the resend replays what was committed). The engine's in-process tests wait the same way.
     */
    private static <T> T whenServed(NodeProcesses cluster, Supplier<T> call) {
        return WhenServed.call(() -> everyPartitionClaimed(cluster), "every partition served", call);
    }

    private static boolean everyPartitionClaimed(NodeProcesses cluster) {
        PartitionMap[] maps = cluster.maps();
        return IntStream.range(0, Partitions.COUNT).noneMatch(p -> cluster.claimants(p, maps).isEmpty());
    }

    private static void awaitEveryPartitionServed(NodeProcesses cluster) {
        // generous: three JVMs start on a shared box (tens of seconds under load, a few when quiet)
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(200)).until(() -> {
            PartitionMap[] maps = cluster.maps();
            for (int i = 0; i < 3; i++) {
                if (cluster.running(i) && maps[i] == null) {
                    return false;
                }
            }
            // each partition by its range's own node: the steady state once LeaderHandOver has run
            return IntStream.range(0, Partitions.COUNT).allMatch(p ->
                    cluster.claimants(p, maps).equals(List.of(PartitionTable.rangeOwner(p, 3))));
        });
    }

    /** Every node's map, polled all along: at no moment may two nodes claim one partition. */
    private void watchClaims(NodeProcesses cluster) {
        PartitionMap[] maps = cluster.maps();
        for (int p = 0; p < Partitions.COUNT; p++) {
            List<Integer> claims = cluster.claimants(p, maps);
            if (claims.size() > 1) {
                doubleClaims.add("partition " + p + " claimed by " + claims);
            }
        }
    }

    /** The load runs on for {@code millis} (a phase of the test's duration, not a synchronisation). */
    private static void runFor(long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        await().atMost(Duration.ofMillis(millis + 5_000)).pollInterval(Duration.ofMillis(50))
                .until(() -> System.nanoTime() >= end);
    }

    private void load(FormicaClient client, List<String> borrowers, int watchedGroup, int worker,
            AtomicBoolean running) {
        long n = 0;
        while (running.get()) {
            String b = borrowers.get(ThreadLocalRandom.current().nextInt(borrowers.size()));
            long amount = 100 + ThreadLocalRandom.current().nextInt(900);
            DecisionRequest r = DecisionRequest.newBuilder().setRequestId("w" + worker + "-" + n++).setBorrowerId(b)
                    .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(amount).build();
            long sent = System.nanoTime();
            DecisionResponse d;
            try {
                d = client.decide(r);
            } catch (RuntimeException unanswered) {
                unansweredDecides.put(r.getRequestId(), r);
                continue;
            }
            record(r, d);
            if (killedAtNanos.get() != 0 && sent >= killedAtNanos.get()
                    && LAYOUT.groupOf(Partitions.of(b)) == watchedGroup) {
                servedAgainNanos.compareAndSet(0, System.nanoTime());
            }
            if (d.getOutcome() == Outcome.APPROVE && ThreadLocalRandom.current().nextBoolean()) {
                ConfirmRequest c = ConfirmRequest.newBuilder().setRequestId("c-" + r.getRequestId())
                        .setHoldId(d.getHoldId()).build();
                try {
                    confirmed.put(c.getHoldId(), client.confirm(c).getDrawnAmountMinor());
                } catch (RuntimeException unanswered) {
                    unansweredConfirms.put(c.getRequestId(), c);
                }
            }
        }
    }

    private void record(DecisionRequest r, DecisionResponse d) {
        decided.put(r.getRequestId(), new Decided(r.getBorrowerId(), d.getOutcome(), d.getHoldId(),
                r.getAmountMinor()));
    }

    /** A call without an answer may or may not have happened: its retry (same request id) says which. */
    private void resolveUnanswered(NodeProcesses cluster, FormicaClient client) {
        for (DecisionRequest r : unansweredDecides.values()) {
            record(r, whenServed(cluster, () -> client.decide(r)));
        }
        for (ConfirmRequest c : unansweredConfirms.values()) {
            ConfirmResponse answer = whenServed(cluster, () -> client.confirm(c));
            confirmed.put(c.getHoldId(), answer.getDrawnAmountMinor());
        }
    }

    private static void checkReplays(NodeProcesses cluster, FormicaClient client, Map<String, Decided> beforeKill) {
        for (Map.Entry<String, Decided> e : beforeKill.entrySet()) {
            Decided first = e.getValue();
            DecisionRequest replay = DecisionRequest.newBuilder().setRequestId(e.getKey())
                    .setBorrowerId(first.borrower()).setProduct(Product.CONSUMER_CREDIT)
                    .setAmountMinor(first.requested()).build();
            DecisionResponse again = whenServed(cluster, () -> client.decide(replay));
            assertTrue(again.getReplayed(), e.getKey() + " replayed");
            assertEquals(first.outcome(), again.getOutcome(), e.getKey());
            assertEquals(first.holdId(), again.getHoldId(), e.getKey() + " same hold after failover");
        }
    }

    private void checkBalances(NodeProcesses cluster, FormicaClient client, List<String> borrowers) {
        Map<String, long[]> model = new ConcurrentHashMap<>();
        borrowers.forEach(b -> model.put(b, new long[2]));
        Map<String, Decided> byHold = new ConcurrentHashMap<>();
        for (Decided d : decided.values()) {
            if (d.outcome() == Outcome.APPROVE) {
                model.get(d.borrower())[0] += d.held();
                byHold.put(d.holdId(), d);
            }
        }
        for (Map.Entry<String, Long> c : confirmed.entrySet()) {
            Decided d = byHold.get(c.getKey());
            assertEquals(d.held(), c.getValue(), "confirm of " + c.getKey());
            model.get(d.borrower())[0] -= d.held();
            model.get(d.borrower())[1] += d.held();
        }
        for (String b : borrowers) {
            GetCreditLineRequest get = GetCreditLineRequest.newBuilder().setBorrowerId(b)
                    .setProduct(Product.CONSUMER_CREDIT).build();
            CreditLine line = whenServed(cluster, () -> client.getCreditLine(get));
            assertEquals(model.get(b)[0], line.getHeldMinor(), b + " held");
            assertEquals(model.get(b)[1], line.getDrawnMinor(), b + " drawn");
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
