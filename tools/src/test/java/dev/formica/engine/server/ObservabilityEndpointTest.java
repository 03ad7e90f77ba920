package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.Formica;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.metrics.DecisionMetrics;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetLatencyRequest;
import dev.formica.v1.LatencyDistribution;
import dev.formica.v1.LatencySnapshot;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.UpsertProfileRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The observability surface of a running server: Prometheus metrics for decisions, stages, queues,
 * holds, exposure and the risk-logic gauges; GetLatency; and {@code formica latency} with a token.
 */
class ObservabilityEndpointTest {
    private static final String TOKEN = "observability-test-admin-token-42";
    private static final long START_MS = 1_780_000_000_000L;

    @TempDir
    Path dataDir;
    /** The admin token file: owner-only, outside the data directory, removed with it. */
    @TempDir
    Path secrets;
    private final CachedEpochClock clock = new CachedEpochClock();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private EngineServer server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws java.io.IOException {
        clock.update(START_MS);
        ServerInterceptor headers = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata md,
                    ServerCallHandler<Q, R> next) {
                String auth = md.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER));
                if (auth != null) {
                    authorizations.add(auth);
                }
                return next.startCall(call, md);
            }
        };
        java.nio.file.Path tokens = java.nio.file.Files.createFile(secrets.resolve("admin.tokens"),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        java.nio.file.Files.writeString(tokens, TOKEN + "\n");
        server = new EngineServer(dev.formica.engine.LedgerOnlyRules.apply(new EngineConfiguration().port(0)
                .metricsPort(0).shards(2).dataDir(dataDir).adminTokenFile(tokens)), List.of(headers), clock).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    private DecisionResponse decide(String requestId, String borrower, long amount) {
        return DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .decide(DecisionRequest.newBuilder().setRequestId(requestId).setBorrowerId(borrower)
                        .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(amount).build());
    }

    /** Three approvals (held 1,000 + 2,000 + 3,000), two declines for lack of a profile, one over the line. */
    private void traffic() {
        ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).upsert(
                UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId("borrower-7")
                        .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(10_000)))
                        .build());
        assertEquals(Outcome.APPROVE, decide("r1", "borrower-7", 1_000).getOutcome());
        assertEquals(Outcome.APPROVE, decide("r2", "borrower-7", 2_000).getOutcome());
        assertEquals(Outcome.APPROVE, decide("r3", "borrower-7", 3_000).getOutcome());
        assertTrue(decide("r3", "borrower-7", 3_000).getReplayed());
        assertEquals(Outcome.DECLINE, decide("r4", "nobody-1", 1_000).getOutcome());
        assertEquals(Outcome.DECLINE, decide("r5", "nobody-2", 1_000).getOutcome());
        assertEquals(Outcome.DECLINE, decide("r6", "borrower-7", 9_000).getOutcome());
    }

    private String scrape(String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.metricsPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), path);
        return response.body();
    }

    private static double value(String body, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
        assertTrue(m.find(), series + " in\n" + body);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void shouldExportDecisionStageAndStateMetricsWithoutBorrowerIds() throws Exception {
        traffic();
        server.metrics().latency().tick();
        DecisionMetrics decisions = server.metrics().decisions();
        String body = scrape("/metrics");
        assertEquals(3, value(body, "formica_decisions_total{outcome=\"APPROVE\"}"));
        assertEquals(3, value(body, "formica_decisions_total{outcome=\"DECLINE\"}"));
        assertEquals(2, value(body, "formica_decision_reasons_total{outcome=\"DECLINE\",reason=\"NO_PROFILE\"}"));
        assertEquals(1, value(body,
                "formica_decision_reasons_total{outcome=\"DECLINE\",reason=\"INSUFFICIENT_LINE\"}"));
        assertEquals(1, value(body, "formica_decisions_replayed_total"), "the repeated r3, answered by its shard");
        assertEquals(7, value(body, "formica_stage_duration_seconds_count{stage=\"total\"}"),
                "six decisions and the replay of r3, all answered by the shard (no idempotency cache by default)");
        assertEquals(7, value(body, "formica_stage_duration_seconds_bucket{stage=\"total\",le=\"+Inf\"}"));
        assertTrue(value(body, "formica_stage_duration_seconds_sum{stage=\"total\"}") > 0);
        assertEquals(8, value(body, "formica_stage_duration_seconds_count{stage=\"queue_wait\"}"),
                "every shard command passes the queue: the upsert and seven decides");
        String decide = "rpc_method=\"formica.v1.DecisionService/Decide\",rpc_status_code=\"OK\","
                + "rpc_system_name=\"grpc\"";
        assertEquals(7, value(body, "rpc_server_call_duration_seconds_count{" + decide + "}"));
        assertEquals(7, value(body, "rpc_server_call_duration_seconds_bucket{" + decide + ",le=\"+Inf\"}"));
        assertFalse(body.contains("formica_stage_latency_seconds") || body.contains("formica_rpc_latency_seconds"),
                "the summaries are gone");
        assertFalse(body.contains("rpc_status_code=\"UNAVAILABLE\"") || body.contains("code=\"UNAVAILABLE\""),
                "no series for a status code no call ended with");
        assertEquals(0, value(body, "formica_shard_queue_depth{shard=\"0\"}"));
        assertEquals(0, value(body, "formica_shard_queue_depth{shard=\"1\"}"));
        int shard = server.pipeline().shardOf("borrower-7");
        assertEquals(3, value(body, "formica_active_holds{shard=\"" + shard + "\"}"));
        assertEquals(6_000, value(body, "formica_exposure_minor{kind=\"held\",product=\"CONSUMER_CREDIT\"}"));
        assertEquals(0, value(body, "formica_exposure_minor{kind=\"drawn\",product=\"CONSUMER_CREDIT\"}"));
        assertEquals(1, value(body, "formica_rule_set_active_info{version=\"ledger-only\"}"));
        assertEquals(0, value(body, "formica_velocity_keys_refused_total"), "a table with room refuses no key");
        assertTrue(server.metrics().registry().scrape().stream()
                .anyMatch(m -> m.getMetadata().getName().equals("formica_partner_quota_left_minor")),
                "registered before any partner reports (no series until then)");
        assertEquals(0, value(body, "formica_shadow_disagreements_total{active=\"DECLINE\",shadow=\"APPROVE\"}"),
                "present at 0 before the first disagreement");
        assertFalse(body.contains("borrower-7") || body.contains("nobody-"), "no borrower ids in metrics");

        decisions.activeRuleSet("2026-11-v3");
        decisions.partnerQuotaLeft("bank-a", 5_000_000);
        server.pipeline().shardMetrics(0).shadowDisagreement(Outcome.APPROVE, Outcome.DECLINE);
        body = scrape("/metrics");
        assertEquals(1, value(body, "formica_rule_set_active_info{version=\"2026-11-v3\"}"));
        assertFalse(body.contains("version=\"ledger-only\""), "only the active version is exported");
        assertEquals(5_000_000, value(body, "formica_partner_quota_left_minor{partner=\"bank-a\"}"));
        assertEquals(1, value(body, "formica_shadow_disagreements_total{active=\"APPROVE\",shadow=\"DECLINE\"}"));
    }

    @Test
    void shouldCapReasonCodeLabelsAndFoldTheRestIntoOther() throws Exception {
        DecisionMetrics decisions = server.metrics().decisions();
        for (int i = 0; i < DecisionMetrics.MAX_REASON_CODES + 10; i++) {
            String code = "CODE_" + i;
            decisions.count(false, Outcome.DECLINE_VALUE, new DecisionMetrics.ReasonCodes() {
                @Override
                public int reasonCount() {
                    return 1;
                }

                @Override
                public String reasonCode(int r) {
                    return code;
                }
            });
        }
        String body = scrape("/metrics");
        long series = body.lines().filter(l -> l.startsWith("formica_decision_reasons_total{")).count();
        assertEquals(DecisionMetrics.MAX_REASON_CODES + 1, series, "the cap plus OTHER");
        assertEquals(10, value(body, "formica_decision_reasons_total{outcome=\"DECLINE\",reason=\"OTHER\"}"));
    }

    @Test
    void shouldAnswerGetLatencyForTheLastIntervalAndSinceStart() {
        traffic();
        io.grpc.Metadata auth = new io.grpc.Metadata();
        auth.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
        AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel)
                .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(auth))
                .withDeadlineAfter(5, TimeUnit.SECONDS);
        LatencySnapshot before = admin.getLatency(GetLatencyRequest.getDefaultInstance());
        assertEquals(0, before.getIntervalCount(), "no interval finished: the test clock has not moved");
        clock.advance(5_000);
        server.metrics().latency().tick();
        LatencySnapshot after = admin.getLatency(GetLatencyRequest.newBuilder().addNames("total")
                .addNames("rpc.Decide").build());
        assertEquals(START_MS, after.getIntervalStartMs());
        assertEquals(START_MS + 5_000, after.getIntervalEndMs());
        assertEquals(List.of("total", "rpc.Decide"), after.getIntervalList().stream()
                .map(LatencyDistribution::getName).toList());
        LatencyDistribution total = after.getInterval(0);
        assertEquals(7, total.getCount());
        assertTrue(total.getP50Nanos() > 0 && total.getP50Nanos() <= total.getP99Nanos()
                && total.getP99Nanos() <= total.getMaxNanos(), total.toString());
        assertEquals(7, after.getCumulative(1).getCount());

        StatusRuntimeException bad = assertThrows(StatusRuntimeException.class,
                () -> admin.getLatency(GetLatencyRequest.newBuilder().addNames("fraud").addNames("borrower-7")
                        .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
        assertTrue(bad.getStatus().getDescription().startsWith("names:"), bad.getStatus().getDescription());
    }

    @Test
    void shouldPrintTheLatencyTablesFromTheCliWithTheBearerToken() throws Exception {
        traffic();
        clock.advance(5_000);
        server.metrics().latency().tick();
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            exit = Formica.run("latency", "--target", "127.0.0.1:" + server.port(), "--token", TOKEN);
        } finally {
            System.setOut(original);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, out);
        assertTrue(out.contains("last interval 2026-05-28T"), out);
        assertTrue(out.contains("since start"), out);
        assertTrue(out.matches("(?s).*\\n  total\\s+7\\s+\\S+ (ns|us|ms|s) .*"), out);
        assertTrue(out.matches("(?s).*\\n  rpc\\.Decide\\s+7\\s.*"), out);
        assertTrue(out.matches("(?s).*\\n  fraud\\s+4\\s+\\S+ (ns|us|ms) .*"),
                "the four decisions that reached the rules were timed per stage: " + out);
        assertTrue(authorizations.contains("Bearer " + TOKEN), authorizations.toString());
    }
}
