package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.UpsertProfileRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, finding 1: with the shipped rule set a declined decision carries several reason codes (the one that
 * declined it and tags such as REGION_MISMATCH). The live page used to add them all up as "declined" (315.9 % of
 * the decisions in the report); it must show the declined decisions (outcome DECLINE) and, per code, a share of
 * them that cannot pass 100 %. Its legends must not be cut at the picture's edge.
 */
class LatencyPageDeclineMixTest {
    private static final Pattern SHARE = Pattern.compile("\\((\\d+\\.\\d)% of declined\\)");

    @TempDir
    Path dir;

    @Test
    void shouldCountDeclinedDecisionsNotReasonCodes() throws Exception {
        try (EngineServer server = new EngineServer(new EngineConfiguration().port(0).metricsPort(0).shards(2)
                .dataDir(dir.resolve("data"))).start()) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                    .build();
            try {
                ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).upsert(
                        UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId("p1")
                                .setRegion("CN-31").setAnnualIncomeMinor(20_000_000)
                                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                                        .setLineMinor(100_000))).build());
                var decisions = DecisionServiceGrpc.newBlockingStub(channel);
                for (int i = 0; i < 40; i++) {
                    // every other one: too large for the line, from another region (a tag beside the decline)
                    boolean large = i % 2 == 0;
                    decisions.withDeadlineAfter(5, TimeUnit.SECONDS).decide(DecisionRequest.newBuilder()
                            .setRequestId("mix-" + i).setBorrowerId(i % 5 == 4 ? "unknown-" + i : "p1")
                            .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(large ? 500_000 : 100)
                            .setRegion(large ? "CN-11" : "CN-31").build());
                }
                decisions.withDeadlineAfter(5, TimeUnit.SECONDS).getCreditLine(GetCreditLineRequest.newBuilder()
                        .setBorrowerId("p1").setProduct(Product.CONSUMER_CREDIT).build());
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            server.metrics().latency().tick();
            String base = "http://127.0.0.1:" + server.metricsPort();
            HttpResponse<String> json = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(base + "/latency.json")).build(), HttpResponse.BodyHandlers.ofString());
            JsonObject page = JsonParser.parseString(json.body()).getAsJsonObject();
            long declined = page.getAsJsonObject("outcomes").get("DECLINE").getAsLong();
            long decided = page.getAsJsonObject("outcomes").entrySet().stream()
                    .mapToLong(e -> e.getValue().getAsLong()).sum();
            assertEquals(40, decided, json.body());
            long codesOnDeclines = 0;
            for (Map.Entry<String, com.google.gson.JsonElement> e : page.getAsJsonObject("declines").entrySet()) {
                long n = e.getValue().getAsLong();
                assertTrue(n <= declined, e.getKey() + " counted on more decisions than were declined: "
                        + json.body());
                codesOnDeclines += n;
            }
            assertTrue(codesOnDeclines > declined, "the scenario must reproduce several codes per decline: "
                    + json.body());
            assertTrue(page.getAsJsonObject("declines").has("REGION_MISMATCH"), json.body());

            Path chromium = LatencyPageBrowserTest.chromium();
            assumeTrue(chromium != null, "ASSUMPTION: no Chromium installed (apt-get install chromium);"
                    + " the counts were checked in /latency.json, the page was not drawn");
            String dom = LatencyPageBrowserTest.headless(chromium, dir.resolve("chromium"), base + "/latency",
                    "--dump-dom");
            String expected = String.format(java.util.Locale.ROOT, "decisions %d, declined %d (%.1f%%)", decided,
                    declined, 100.0 * declined / decided);
            assertTrue(dom.contains(expected), expected + " in:\n" + dom);
            Matcher share = SHARE.matcher(dom);
            int shares = 0;
            while (share.find()) {
                shares++;
                assertTrue(Double.parseDouble(share.group(1)) <= 100.0, share.group() + " in:\n" + dom);
            }
            assertEquals(page.getAsJsonObject("declines").size(), shares, "one bar per code:\n" + dom);
            assertTrue(dom.contains(">rpc.GetCreditLine"), "the legend names GetCreditLine:\n" + dom);
            for (String id : new String[] {"stages", "rpcs", "declines"}) {
                Matcher svg = Pattern.compile("<svg id=\"" + id + "\"[^>]*>").matcher(dom);
                assertTrue(svg.find(), id);
                int width = attribute(svg.group(), "width");
                int right = attribute(svg.group(), "data-content-right");
                assertTrue(right > 0 && right <= width, id + ": drawn to x=" + right + " in a picture " + width
                        + " wide: " + svg.group());
            }
        }
    }

    private static int attribute(String tag, String name) {
        Matcher m = Pattern.compile(" " + name + "=\"(\\d+)\"").matcher(tag);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }
}
