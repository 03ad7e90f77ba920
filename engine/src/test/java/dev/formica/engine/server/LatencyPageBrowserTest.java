package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.UpsertProfileRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live latency page in a real browser: headless Chromium (Debian's {@code chromium} package) loads
 * {@code /latency} from a running server, runs the page's own script, and the dumped DOM must hold SVG
 * curves with points for the stages and RPCs that saw traffic, and the decline mix.
 *
 * <p>Set {@code FORMICA_CHROMIUM} to use another binary. Skipped, with the reason, only when no Chromium
 * is installed ({@code apt-get install chromium}).
 */
public class LatencyPageBrowserTest {
    @TempDir
    Path dir;

    /** The Chromium binary to drive, or null when none is installed. */
    public static Path chromium() {
        List<String> candidates = new ArrayList<>();
        String env = System.getenv("FORMICA_CHROMIUM");
        if (env != null && !env.isEmpty()) {
            candidates.add(env);
        }
        candidates.addAll(List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"));
        for (String c : candidates) {
            if (Files.isExecutable(Path.of(c))) {
                return Path.of(c);
            }
        }
        return null;
    }

    /** Runs headless Chromium on the URL and returns what it printed (the DOM, or nothing for a screenshot). */
    public static String headless(Path chromium, Path profileDir, String url, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profileDir,
                "--virtual-time-budget=4000", "--window-size=1300,820"));
        command.addAll(List.of(extra));
        command.add(url);
        Path out = profileDir.resolveSibling(profileDir.getFileName() + ".out");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                throw new IOException("chromium did not finish within 90 s");
            }
        } finally {
            p.destroyForcibly();
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    @Test
    void shouldDrawPercentileCurvesQpsAndDeclineMixInHeadlessChromium() throws Exception {
        Path chromium = chromium();
        assumeTrue(chromium != null, "ASSUMPTION: no Chromium installed (apt-get install chromium);"
                + " the latency page was not loaded in a browser");
        try (EngineServer server = new EngineServer(dev.formica.engine.LedgerOnlyRules.apply(new EngineConfiguration()
                .port(0).metricsPort(0).shards(2).dataDir(dir.resolve("data"))
                // the test ticks the interval itself once the 200 decisions are in: the server's own 5 s tick
                // could otherwise close the interval between the last decision and that tick (an empty window
                // on a slow, loaded machine)
                .latencyInterval(java.time.Duration.ofHours(1)))).start()) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                    .build();
            try {
                ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).upsert(
                        UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId("p1")
                                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                                        .setLineMinor(1_000_000))).build());
                var decisions = DecisionServiceGrpc.newBlockingStub(channel);
                for (int i = 0; i < 200; i++) {
                    decisions.withDeadlineAfter(5, TimeUnit.SECONDS).decide(DecisionRequest.newBuilder()
                            .setRequestId("page-" + i).setBorrowerId(i % 4 == 0 ? "unknown-" + i : "p1")
                            .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(100).build());
                }
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            // the window (the last five ticks) must still hold the decisions when Chromium, slow to start on a loaded
            // machine, polls the page: from here only the test moves it
            server.metrics().latency().stopSampler();
            server.metrics().latency().tick();
            String base = "http://127.0.0.1:" + server.metricsPort();
            HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(base + "/latency")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode());
            assertTrue(!page.body().contains("src=\"http") && !page.body().contains("href=\"http"),
                    "no external assets");

            String dom = headless(chromium, dir.resolve("chromium"), base + "/latency", "--dump-dom");

            Matcher total = Pattern.compile("<path d=\"([^\"]+)\" class=\"curve\"[^>]*data-name=\"total\""
                    + "[^>]*data-points=\"(\\d+)\"").matcher(dom);
            assertTrue(total.find(), "a curve for the total stage in:\n" + dom);
            assertTrue(Integer.parseInt(total.group(2)) >= 5, "several percentile points: " + total.group(2));
            Matcher coords = Pattern.compile("[ML](\\d+\\.\\d),(\\d+\\.\\d)").matcher(total.group(1));
            int points = 0;
            double firstX = -1;
            double lastX = -1;
            while (coords.find()) {
                double x = Double.parseDouble(coords.group(1));
                firstX = points == 0 ? x : firstX;
                lastX = x;
                points++;
            }
            assertTrue(points >= 5 && lastX > firstX, "the curve runs left to right: " + total.group(1));
            assertTrue(dom.contains("data-name=\"queue_wait\""), "queue wait curve");
            assertTrue(dom.contains("data-name=\"rpc.Decide\""), "RPC curve");
            assertTrue(dom.contains(">99.9%<"), "percentile axis labels");
            assertTrue(dom.contains(">NO_PROFILE<"), "decline mix lists the reason");
            assertTrue(dom.contains("decisions 200, declined 50 (25.0%)"), "decline share");
            assertTrue(dom.contains("decisions/s"), "QPS line");
        }
    }
}
