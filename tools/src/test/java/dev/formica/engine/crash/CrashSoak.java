package dev.formica.engine.crash;

import dev.formica.client.FormicaClient;
import dev.formica.client.RetryPolicy;
import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.funding.FundingQuotas;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.state.HoldState;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Crash soak: a server in a child JVM takes decisions and confirmations from 32 concurrent calls and
 * is killed with SIGKILL after a random number of requests, {@code kills} times, each time restarted
 * on the same data directory. After every restart it checks:
 * <ul>
 *   <li>start-up found held = sum of active holds in every shard ({@code heldMismatchesRepaired=0});
 *   <li>every APPROVE the client received is still there: re-sending its request replays the same
 *       hold id (all of the last round, a sample of older rounds; all of them at the end);
 *   <li>requests the kill left unanswered are re-sent (as a client would) and so resolved; then for
 *       every borrower, held = sum of approved unconfirmed amounts and drawn = sum of confirmed ones,
 *       which also proves no request id reserved twice; and available = line − held − drawn;
 *   <li>partner quotas agree with holds: a hook, see {@link #checkPartnerQuotasAgreeWithHolds}.
 * </ul>
 * Counts are printed: kills, decisions, approvals checked, violations (0 or it fails).
 *
 * <p>Thread contract: one run per instance on the calling thread; response callbacks only touch
 * concurrent maps.
 */
final class CrashSoak {
    private static final Pattern MISMATCHES = Pattern.compile("heldMismatchesRepaired=(\\d+)");
    private static final int BORROWERS = 200;
    private static final long LINE = 1_000_000_000_000L;
    private static final int IN_FLIGHT = 32;
    private static final int OLD_SAMPLE = 300;

    /** What a run found. */
    record Result(int kills, long decisions, long approvalsChecked, long confirms, List<String> violations) {
        @Override
        public String toString() {
            return "kills " + kills + ", decisions " + decisions + ", approvals checked " + approvalsChecked
                    + ", confirms " + confirms + ", violations " + violations.size();
        }
    }

    private final Path dataDir;
    private final SplittableRandom random;
    private final PrintStream log;
    private final List<String> serverOutput = Collections.synchronizedList(new ArrayList<>());
    private int quotaChecks;
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private Process server;

    private final Map<String, DecisionRequest> sent = new ConcurrentHashMap<>();
    private final Map<String, DecisionResponse> answered = new ConcurrentHashMap<>();
    /** Confirm request id to hold id, for every confirm sent; and the ones answered OK. */
    private final Map<String, String> confirmsSent = new ConcurrentHashMap<>();
    private final Set<String> confirmed = ConcurrentHashMap.newKeySet();
    /** Approvals acknowledged in the round just ended, and in rounds before it. */
    private final Set<String> ackedThisRound = ConcurrentHashMap.newKeySet();
    private final List<String> ackedBefore = Collections.synchronizedList(new ArrayList<>()); // added from callbacks
    private long approvalsChecked;

    CrashSoak(Path dataDir, long seed, PrintStream log) {
        this.dataDir = dataDir;
        this.random = new SplittableRandom(seed);
        this.log = log;
    }

    /** Runs {@code kills} kill-and-restart rounds; never throws for a violation, it reports them. */
    Result run(int kills, int maxRequestsPerRound) throws Exception {
        Path config = Files.writeString(dataDir.resolveSibling(dataDir.getFileName() + ".yaml"),
                "holdTtl: 24h\nidempotencyWindow: 48h\n");
        try {
            int port = start(config);
            try (FormicaClient client = client(port, RetryPolicy.defaults())) {
                for (int b = 0; b < BORROWERS; b++) {
                    client.upsertProfile(Profile.newBuilder().setBorrowerId("soak-" + b).addLines(ProductLine
                            .newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(LINE)).build());
                }
            }
            for (int k = 1; k <= kills; k++) {
                try (FormicaClient client = client(port, RetryPolicy.none())) {
                    loadThenKill(client, k, 100 + random.nextInt(maxRequestsPerRound));
                }
                serverOutput.clear();
                long t0 = System.nanoTime();
                port = start(config);
                long restartMs = (System.nanoTime() - t0) / 1_000_000;
                checkRecovery(k);
                try (FormicaClient client = client(port, RetryPolicy.defaults())) {
                    check(client, k, k == kills);
                }
                log.printf("soak: kill %d/%d: restart %d ms, %d decisions so far, %d approvals checked,"
                        + " %d violations%n", k, kills, restartMs, answered.size(), approvalsChecked,
                        violations.size());
            }
            stop();
            checkPartnerQuotasAgreeWithHolds(kills);
            return new Result(kills, answered.size(), approvalsChecked, confirmed.size(), List.copyOf(violations));
        } finally {
            stop();
        }
    }

    private void loadThenKill(FormicaClient client, int round, int requests) throws Exception {
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        List<String> approvedThisRound = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < requests; i++) {
            inFlight.acquire();
            String confirmHold = null;
            if (random.nextInt(5) == 0 && !approvedThisRound.isEmpty()) {
                String decisionId = approvedThisRound.remove(random.nextInt(approvedThisRound.size()));
                confirmHold = answered.get(decisionId).getHoldId();
                String id = "c-" + decisionId;
                confirmsSent.put(id, confirmHold);
                client.confirmAsync(ConfirmRequest.newBuilder().setRequestId(id).setHoldId(confirmHold).build())
                        .whenComplete((resp, e) -> {
                            inFlight.release();
                            if (resp != null) {
                                confirmed.add(id);
                            }
                        });
                continue;
            }
            DecisionRequest r = DecisionRequest.newBuilder().setRequestId("r" + round + "-" + i)
                    .setBorrowerId("soak-" + random.nextInt(BORROWERS)).setProduct(Product.CONSUMER_CREDIT)
                    .setAmountMinor(1 + random.nextInt(1_000_000)).build();
            sent.put(r.getRequestId(), r);
            client.decideAsync(r).whenComplete((resp, e) -> {
                if (resp != null) {
                    answered.put(r.getRequestId(), resp);
                    if (resp.getOutcome() == Outcome.APPROVE) {
                        ackedThisRound.add(r.getRequestId());
                        approvedThisRound.add(r.getRequestId());
                    }
                }
                inFlight.release();
            });
        }
        // SIGKILL with up to 32 calls in flight
        server.destroyForcibly();
        if (!server.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the server did not die");
        }
        inFlight.acquire(IN_FLIGHT);
    }

    private void checkRecovery(int round) {
        boolean recovered = false;
        for (String line : serverOutput) {
            recovered |= line.contains("recovered after an unclean stop");
            Matcher m = MISMATCHES.matcher(line);
            if (m.find() && !m.group(1).equals("0")) {
                violations.add("round " + round + ": start-up found held != sum of active holds: " + line);
            }
        }
        if (!recovered) {
            violations.add("round " + round + ": the restart did not go through crash recovery");
        }
    }

    private void check(FormicaClient client, int round, boolean all) throws Exception {
        // 1. every acknowledged approval replays with the same hold
        List<String> toReplay = new ArrayList<>(ackedThisRound);
        if (all) {
            toReplay.addAll(ackedBefore);
        } else {
            for (int i = 0; i < Math.min(OLD_SAMPLE, ackedBefore.size()); i++) {
                toReplay.add(ackedBefore.get(random.nextInt(ackedBefore.size())));
            }
        }
        // at most IN_FLIGHT at a time, as a well-behaved client: the server refuses a flood of
        // concurrent decisions with RESOURCE_EXHAUSTED (maxInFlightDecisions)
        for (int start = 0; start < toReplay.size(); start += IN_FLIGHT) {
            int end = Math.min(toReplay.size(), start + IN_FLIGHT);
            List<CompletableFuture<DecisionResponse>> replays = new ArrayList<>();
            for (int i = start; i < end; i++) {
                replays.add(client.decideAsync(sent.get(toReplay.get(i))));
            }
            for (int i = start; i < end; i++) {
                String id = toReplay.get(i);
                DecisionResponse replay = replays.get(i - start).get(60, TimeUnit.SECONDS);
                if (!replay.getReplayed() || !replay.getHoldId().equals(answered.get(id).getHoldId())) {
                    violations.add("round " + round + ": acknowledged approval " + id + " not replayed with hold "
                            + answered.get(id).getHoldId() + ": " + replay);
                }
                approvalsChecked++;
            }
        }
        ackedBefore.addAll(ackedThisRound);
        ackedThisRound.clear();
        // 2. resolve what the kill left unanswered, as a retrying client would
        List<DecisionRequest> unanswered = new ArrayList<>();
        for (DecisionRequest r : sent.values()) {
            if (!answered.containsKey(r.getRequestId())) {
                unanswered.add(r);
            }
        }
        List<CompletableFuture<?>> resolving = new ArrayList<>();
        for (int start = 0; start < unanswered.size(); start += IN_FLIGHT) {
            for (DecisionRequest r : unanswered.subList(start, Math.min(unanswered.size(), start + IN_FLIGHT))) {
                resolving.add(client.decideAsync(r).thenAccept(resp -> {
                    answered.put(r.getRequestId(), resp);
                    if (resp.getOutcome() == Outcome.APPROVE) {
                        ackedBefore.add(r.getRequestId());
                    }
                }));
            }
            for (CompletableFuture<?> f : resolving) {
                f.get(60, TimeUnit.SECONDS);
            }
            resolving.clear();
        }
        resolving.clear();
        for (Map.Entry<String, String> c : confirmsSent.entrySet()) {
            if (!confirmed.contains(c.getKey())) {
                resolving.add(client.confirmAsync(ConfirmRequest.newBuilder().setRequestId(c.getKey())
                        .setHoldId(c.getValue()).build()).thenAccept(resp -> confirmed.add(c.getKey())));
            }
        }
        for (CompletableFuture<?> f : resolving) {
            f.get(60, TimeUnit.SECONDS);
        }
        // 3. the ledger holds exactly what was approved and confirmed
        Map<String, Long> held = new HashMap<>();
        Map<String, Long> drawn = new HashMap<>();
        Set<String> holdIds = new HashSet<>();
        for (DecisionResponse resp : answered.values()) {
            if (resp.getOutcome() != Outcome.APPROVE) {
                continue;
            }
            DecisionRequest r = sent.get(resp.getRequestId());
            if (!holdIds.add(resp.getHoldId())) {
                violations.add("round " + round + ": hold " + resp.getHoldId() + " given to two requests");
            }
            boolean isConfirmed = confirmed.contains("c-" + r.getRequestId());
            (isConfirmed ? drawn : held).merge(r.getBorrowerId(), r.getAmountMinor(), Long::sum);
        }
        for (int b = 0; b < BORROWERS; b++) {
            String borrower = "soak-" + b;
            CreditLine line = client.getCreditLine(GetCreditLineRequest.newBuilder().setBorrowerId(borrower)
                    .setProduct(Product.CONSUMER_CREDIT).build());
            long expectHeld = held.getOrDefault(borrower, 0L);
            long expectDrawn = drawn.getOrDefault(borrower, 0L);
            if (line.getHeldMinor() != expectHeld || line.getDrawnMinor() != expectDrawn
                    || line.getAvailableMinor() != Math.max(0, line.getLineMinor() - expectHeld - expectDrawn)) {
                violations.add("round " + round + ": " + borrower + " line " + line.getLineMinor() + " held "
                        + line.getHeldMinor() + " drawn " + line.getDrawnMinor() + " available "
                        + line.getAvailableMinor() + ", expected held " + expectHeld + " drawn " + expectDrawn);
            }
        }
    }

    /**
     * Hook for the funding work: once partner quotas exist, check here that each partner's reserved
     * quota equals the sum of the active holds funded by it, and add a violation when not.
     * TODO(lead, funding): implement when partner quotas land; until then there is nothing to compare.
     */
    /**
     * Opens the stopped server's data directory in-process (start-up recovery runs) and compares each funder's
     * used quota with the funding of its active and confirmed holds. Quota is reserved a few instructions before
     * the decision's intent is written, so a kill in that window can leak (never over-allocate) at most one
     * decision's quota per shard: used must be at least the holds' sum and at most that plus one loan per shard
     * per kill.
     */
    private void checkPartnerQuotasAgreeWithHolds(int kills) {
        EngineConfiguration config = LedgerOnlyRules.apply(new EngineConfiguration().dataDir(dataDir).shards(2))
                .rulesFile(LedgerOnlyRules.resource("rules/soak.yaml"));
        long maxLoan = sent.values().stream().mapToLong(DecisionRequest::getAmountMinor).max().orElse(0);
        try (DecisionPipeline pipeline = DecisionPipeline.open(config, System::currentTimeMillis)) {
            long[] held = new long[FundingQuotas.CAPACITY];
            for (int s = 0; s < 2; s++) {
                pipeline.state(s).holds().forEach((id, h) -> {
                    if (h.state() == HoldState.ACTIVE || h.state() == HoldState.CONFIRMED) {
                        for (int i = 0; i < h.fundingCount(); i++) {
                            held[h.funderIndex(i)] += h.fundingAmountMinor(i);
                        }
                    }
                });
            }
            FundingQuotas quotas = pipeline.risk().quotas();
            for (String funder : List.of("platform", "soak_bank")) {
                int slot = quotas.indexOf(funder);
                long used = quotas.usedTotal(slot);
                quotaChecks++;
                if (used < held[slot] || used > held[slot] + 2L * kills * maxLoan) {
                    violations.add("quota of " + funder + ": used " + used + " but holds fund " + held[slot]);
                }
                log.printf("soak: quota %s used %d, funded holds %d%n", funder, used, held[slot]);
            }
        }
    }

    private FormicaClient client(int port, RetryPolicy retries) {
        return FormicaClient.builder().target("127.0.0.1:" + port).defaultDeadline(Duration.ofSeconds(30))
                .retryPolicy(retries).build();
    }

    private int start(Path config) throws IOException, InterruptedException {
        ChildServer.Started started = ChildServer.start(List.of("--shards=2", "--config=" + config,
                "--data-dir=" + dataDir, "--rules=" + LedgerOnlyRules.resource("rules/soak.yaml"),
                "--regulatory=" + LedgerOnlyRules.resource("regulatory/test-unlimited.yaml")), serverOutput, 120);
        server = started.process();
        if (started.port() < 0) {
            throw new IllegalStateException("server did not start: " + serverOutput);
        }
        return started.port();
    }

    private void stop() throws InterruptedException {
        if (server != null && server.isAlive()) {
            server.destroyForcibly();
            server.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
