package dev.formica.engine.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.client.RetryPolicy;
import dev.formica.engine.LedgerOnlyRules;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A server in a child JVM is killed with SIGKILL under load, twice, and restarted on the same data
 * directory. Every APPROVE a client received is still there (a replay returns the same hold), holds
 * never outnumber what was asked, and start-up finds held = sum of active holds.
 */
class KillNineRecoveryTest {
    private static final Pattern MISMATCHES = Pattern.compile("heldMismatchesRepaired=(\\d+)");
    private static final int BORROWERS = 40;
    private static final long LINE = 1_000_000_000L;

    @TempDir
    Path dataDir;
    /** Where a test writes a configuration file for the server (beside, not in, its data directory). */
    @TempDir
    Path configDir;
    private Process server;
    private final List<String> serverOutput = java.util.Collections.synchronizedList(new ArrayList<>());

    /** What the client was told: request id → (borrower, amount, hold id) for every APPROVE received. */
    private final Map<String, DecisionResponse> acked = new ConcurrentHashMap<>();
    private final Map<String, DecisionRequest> sent = new ConcurrentHashMap<>();

    @AfterEach
    void killServer() throws InterruptedException {
        if (server != null && server.isAlive()) {
            server.destroyForcibly();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** fsync (the default) or process: in process mode answers leave as soon as their frame is in the window. */
    private String durability = "fsync";
    /** {@code logSync}: which thread syncs a shard's log in fsync mode (the writer, or the shard's own loop). */
    private String logSync = "WRITER";

    private int startServer() throws IOException, InterruptedException {
        Path config = configDir.resolve("formica.yaml");
        java.nio.file.Files.writeString(config, "logSync: " + logSync + "\n");
        ChildServer.Started started = ChildServer.start(List.of("--shards=2", "--data-dir=" + dataDir,
                "--durability=" + durability, "--config=" + config,
                // ledger mechanics under SIGKILL, not risk rules: 40 borrowers deciding fast would trip velocity rules
                "--rules=" + LedgerOnlyRules.resource("rules/ledger-only.yaml"),
                "--regulatory=" + LedgerOnlyRules.resource("regulatory/test-unlimited.yaml")), serverOutput, 60);
        server = started.process();
        assertTrue(started.port() > 0, "server did not start or print its port: " + serverOutput);
        return started.port();
    }

    private static FormicaClient client(int port) {
        return FormicaClient.builder().target("127.0.0.1:" + port).defaultDeadline(Duration.ofSeconds(10))
                .retryPolicy(RetryPolicy.none()).build();
    }

    /** After the restarts: retries RESOURCE_EXHAUSTED and UNAVAILABLE with the same request id, as clients do. */
    private static FormicaClient verifyingClient(int port) {
        return FormicaClient.builder().target("127.0.0.1:" + port).defaultDeadline(Duration.ofSeconds(10))
                .retryPolicy(RetryPolicy.defaults()).build();
    }

    /** Sends decisions until {@code approvals} more were acknowledged, then SIGKILLs the server mid-flight. */
    private void loadThenKill(FormicaClient client, String round, int approvals) throws Exception {
        SplittableRandom random = new SplittableRandom(round.hashCode());
        Semaphore inFlight = new Semaphore(32);
        int target = acked.size() + approvals;
        int i = 0;
        while (acked.size() < target) {
            assertTrue(i < approvals * 20, "too few approvals: " + acked.size() + " of " + target + " after " + i);
            inFlight.acquire();
            DecisionRequest r = DecisionRequest.newBuilder().setRequestId(round + "-" + i++)
                    .setBorrowerId("k" + random.nextInt(BORROWERS)).setProduct(Product.CONSUMER_CREDIT)
                    .setAmountMinor(1 + random.nextInt(100_000)).build();
            sent.put(r.getRequestId(), r);
            client.decideAsync(r).whenComplete((resp, e) -> {
                inFlight.release();
                if (resp != null && resp.getOutcome() == Outcome.APPROVE) {
                    acked.put(r.getRequestId(), resp);
                }
            });
        }
        // kill while 32 calls are in flight
        server.destroyForcibly();
        assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        inFlight.acquire(32);
    }

    /**
     * In {@code process} mode an answer is released as soon as its frame is in the shard's window (a mapped file
     * that outlives the process), before the log writer has written it to the segment: what survives the kill is
     * what the window holds, brought into the segment at the next start.
     */
    @ParameterizedTest(name = "durability {0}")
    @ValueSource(strings = {"fsync", "process", "fsync, logSync LOOP"})
    void shouldKeepEveryAcknowledgedApprovalAcrossKillNine(String mode) throws Exception {
        durability = mode.startsWith("fsync") ? "fsync" : mode;
        logSync = mode.endsWith("LOOP") ? "LOOP" : "WRITER";
        int port = startServer();
        try (FormicaClient client = client(port)) {
            for (int b = 0; b < BORROWERS; b++) {
                client.upsertProfile(Profile.newBuilder().setBorrowerId("k" + b).addLines(ProductLine.newBuilder()
                        .setProduct(Product.CONSUMER_CREDIT).setLineMinor(LINE)).build());
            }
            loadThenKill(client, "round1", 1500);
        }
        port = startServer();
        try (FormicaClient client = client(port)) {
            loadThenKill(client, "round2", 1500);
        }
        serverOutput.clear();
        port = startServer();
        assertTrue(serverOutput.stream().anyMatch(l -> l.contains("recovered after an unclean stop")),
                "the restart went through crash recovery: " + serverOutput);
        // how much the windows gave back (process mode: answers that had left before the writer wrote them)
        serverOutput.stream().filter(l -> l.contains("recovered from the window")).forEach(System.out::println);
        for (String line : serverOutput) {
            Matcher m = MISMATCHES.matcher(line);
            if (m.find()) {
                assertEquals("0", m.group(1), "start-up found held != sum of active holds: " + line);
            }
        }
        // the checks follow the protocol a client is told to (retry a refused call with the same request_id): what is
        // checked here is durability, not admission control, which a burst of retries on a cold, busy server can meet
        try (FormicaClient client = verifyingClient(port)) {
            Map<String, Long> heldBefore = new HashMap<>();
            for (int b = 0; b < BORROWERS; b++) {
                CreditLine line = client.getCreditLine(GetCreditLineRequest.newBuilder().setBorrowerId("k" + b)
                        .setProduct(Product.CONSUMER_CREDIT).build());
                heldBefore.put("k" + b, line.getHeldMinor());
            }
            // every acknowledged approval is still there: a retry replays the same hold
            for (Map.Entry<String, DecisionResponse> e : acked.entrySet()) {
                DecisionResponse replay = client.decide(sent.get(e.getKey()));
                assertTrue(replay.getReplayed(), "acknowledged approval lost: " + e.getKey());
                assertEquals(e.getValue().getHoldId(), replay.getHoldId());
            }
            // unacknowledged requests either committed before the kill (replayed) or never happened
            Map<String, Long> committed = new HashMap<>();
            for (DecisionResponse r : acked.values()) {
                committed.merge(borrowerOf(r), sent.get(r.getRequestId()).getAmountMinor(), Long::sum);
            }
            List<CompletableFuture<DecisionResponse>> retries = new ArrayList<>();
            Semaphore inFlight = new Semaphore(32); // as many at once as the load had
            for (DecisionRequest r : sent.values()) {
                if (!acked.containsKey(r.getRequestId())) {
                    inFlight.acquire();
                    retries.add(client.decideAsync(r).whenComplete((resp, e) -> inFlight.release()));
                }
            }
            for (CompletableFuture<DecisionResponse> f : retries) {
                DecisionResponse r = f.get(30, TimeUnit.SECONDS);
                if (r.getReplayed() && r.getOutcome() == Outcome.APPROVE) {
                    committed.merge(borrowerOf(r), sent.get(r.getRequestId()).getAmountMinor(), Long::sum);
                }
            }
            for (int b = 0; b < BORROWERS; b++) {
                assertEquals(committed.getOrDefault("k" + b, 0L), heldBefore.get("k" + b),
                        "held of borrower k" + b + " = sum of its committed approvals");
            }
        }
    }

    private String borrowerOf(DecisionResponse r) {
        return sent.get(r.getRequestId()).getBorrowerId();
    }
}
