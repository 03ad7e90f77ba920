package dev.formica.engine.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Every PromQL query of the Grafana dashboard ({@code deploy/grafana/formica-dashboard.json}) and of the Prometheus
 * rules ({@code deploy/prometheus/formica-alerts.yaml}) names only metrics a real server exports: a server on port
 * 0 answers some Decides, its {@code /metrics} is scraped over HTTP, and each metric name in each expression must
 * be among the exported ones (histogram {@code _bucket}/{@code _count}/{@code _sum}, counter {@code _total}) or be
 * recorded by a rule of the file.
 */
class DashboardAndAlertQueriesTest {
    private static final Path REPO = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("..")
            .normalize();
    private static final Path DASHBOARD = REPO.resolve("deploy/grafana/formica-dashboard.json");
    private static final Path ALERTS = REPO.resolve("deploy/prometheus/formica-alerts.yaml");
    /** PromQL words that look like names but are operators or modifiers. */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
            "ignoring", "group_left", "group_right", "inf", "nan", "atan2", "start", "end");
    private static final Pattern NAME = Pattern.compile("(?<![A-Za-z0-9_:.$])([A-Za-z_:][A-Za-z0-9_:]*)(\\s*\\()?");

    @TempDir
    Path dataDir;

    @Test
    void shouldExportEveryMetricTheDashboardAndTheAlertRulesQuery() throws Exception {
        Map<String, String> queries = new LinkedHashMap<>(dashboardQueries());
        Set<String> recorded = new TreeSet<>();
        queries.putAll(ruleQueries(recorded));
        assertTrue(queries.keySet().stream().anyMatch(k -> k.startsWith("alert FormicaDecideP99AboveSlo")),
                "p99 alert");
        assertTrue(queries.keySet().stream().anyMatch(k -> k.startsWith("alert FormicaDecideShedding")), "shed alert");
        assertTrue(queries.values().stream().anyMatch(q -> q.contains("formica_stage_duration_seconds_bucket")),
                "the dashboard has the stage percentiles");

        try (EngineServer server = new EngineServer(new EngineConfiguration().port(0).metricsPort(0).shards(2)
                .dataDir(dataDir)).start()) {
            traffic(server.port());
            String[] body = new String[1];
            // the sampler folds RPC and stage times in once a second; shard 0 reports partner quotas once a second
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                body[0] = scrape(server.metricsPort());
                return body[0].contains("formica_partner_quota_left_minor{")
                        && body[0].contains("formica_stage_duration_seconds_bucket{")
                        && body[0].contains("rpc_server_call_duration_seconds_bucket{");
            });
            Set<String> exported = exportedNames(body[0]);
            List<String> missing = new ArrayList<>();
            queries.forEach((where, expr) -> {
                for (String name : missingNames(expr, exported, recorded)) {
                    missing.add(where + ": " + name + " in " + expr);
                }
            });
            assertEquals(List.of(), missing, "metrics the dashboard or the rules query but the server does not export");
        }
    }

    @Test
    void shouldFindTheMetricNamesOfAnExpressionAndReportTheUnknownOnes() {
        String expr = "histogram_quantile(0.99, sum by (le, stage) (rate(formica_stage_duration_seconds_bucket{"
                + "instance=~\"$instance\",stage!=\"by\"}[$__rate_interval]))) > 1e-3 and on (job) "
                + "sum without (shard) (formica_shard_queue_depth offset 1d) / ignoring (x) group_left "
                + "formica_nope_total unless job:recorded:p99 > bool 0";
        assertEquals(Set.of("formica_stage_duration_seconds_bucket", "formica_shard_queue_depth",
                "formica_nope_total", "job:recorded:p99"), metricNames(expr));
        Set<String> exported = exportedNames("# TYPE formica_stage_duration_seconds histogram\n"
                + "formica_shard_queue_depth{shard=\"0\"} 0\n");
        assertEquals(Set.of("formica_nope_total"), missingNames(expr, exported, Set.of("job:recorded:p99")));
        assertEquals(Set.of("formica_decisions_total"), metricNames("label_values(formica_decisions_total, job)"));
    }

    /** Upserts a profile and answers approvals and declines, so that stages, outcomes and exposure have values. */
    private static void traffic(int port) throws InterruptedException {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).upsert(
                    UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId("dash-1")
                            .setRegion("CN-31").addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                                    .setLineMinor(1_000_000))).build());
            var decisions = DecisionServiceGrpc.newBlockingStub(channel);
            for (int i = 0; i < 6; i++) {
                decisions.withDeadlineAfter(10, TimeUnit.SECONDS).decide(DecisionRequest.newBuilder()
                        .setRequestId("dash-r" + i).setBorrowerId(i % 3 == 2 ? "unknown-" + i : "dash-1")
                        .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(10_000).build());
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static String scrape(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    /** Every PromQL expression of the dashboard: panel targets (rows included) and query variables. */
    private static Map<String, String> dashboardQueries() throws Exception {
        JsonObject dash = JsonParser.parseString(Files.readString(DASHBOARD)).getAsJsonObject();
        Map<String, String> out = new LinkedHashMap<>();
        List<JsonObject> panels = new ArrayList<>();
        for (JsonElement p : dash.getAsJsonArray("panels")) {
            panels.add(p.getAsJsonObject());
            if (p.getAsJsonObject().has("panels")) {
                p.getAsJsonObject().getAsJsonArray("panels").forEach(inner -> panels.add(inner.getAsJsonObject()));
            }
        }
        for (JsonObject p : panels) {
            JsonArray targets = p.has("targets") ? p.getAsJsonArray("targets") : new JsonArray();
            for (JsonElement t : targets) {
                JsonObject target = t.getAsJsonObject();
                out.put("panel '" + p.get("title").getAsString() + "' " + target.get("refId").getAsString(),
                        target.get("expr").getAsString());
            }
        }
        for (JsonElement v : dash.getAsJsonObject("templating").getAsJsonArray("list")) {
            JsonObject var = v.getAsJsonObject();
            if ("query".equals(var.get("type").getAsString())) {
                out.put("variable " + var.get("name").getAsString(), var.get("definition").getAsString());
            }
        }
        assertTrue(out.size() >= 20, "dashboard queries found: " + out.size());
        return out;
    }

    /** Every {@code expr} of the rule file, by rule; the names recorded by recording rules go into {@code recorded}. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> ruleQueries(Set<String> recorded) throws Exception {
        Map<String, Object> file = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(ALERTS));
        Map<String, String> out = new LinkedHashMap<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                String name = rule.containsKey("alert") ? "alert " + rule.get("alert") : "record " + rule.get("record");
                if (rule.containsKey("record")) {
                    recorded.add((String) rule.get("record"));
                }
                out.put(name + " (" + group.get("name") + ")", (String) rule.get("expr"));
            }
        }
        return out;
    }

    /**
     * The names a scrape exports: every sample's name, and for each {@code # TYPE} the names its samples can have
     * (a histogram's {@code _bucket}, {@code _count}, {@code _sum}; a counter with and without {@code _total}).
     */
    static Set<String> exportedNames(String exposition) {
        Set<String> out = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] f = line.split(" ");
                String name = f[2];
                out.add(name);
                switch (f[3]) {
                    case "histogram", "summary" -> {
                        out.addAll(List.of(name + "_bucket", name + "_count", name + "_sum"));
                    }
                    case "counter" -> out.add(name.endsWith("_total") ? name : name + "_total");
                    default -> { }
                }
            } else if (!line.isBlank() && !line.startsWith("#")) {
                int end = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
                out.add(line.substring(0, end));
            }
        }
        return out;
    }

    static Set<String> missingNames(String expr, Set<String> exported, Set<String> recorded) {
        Set<String> out = new TreeSet<>(metricNames(expr));
        out.removeAll(exported);
        out.removeAll(recorded);
        return out;
    }

    /**
     * The metric names an expression selects: identifiers that are not a function or aggregation (followed by
     * {@code (}), not a keyword, not a label inside {@code {}} or a grouping clause, not a duration and not a Grafana
     * variable. {@code label_values(metric, label)} (a Grafana variable query) names its first argument.
     */
    static Set<String> metricNames(String expr) {
        Matcher lv = Pattern.compile("^\\s*label_values\\(\\s*([A-Za-z_:][A-Za-z0-9_:]*)").matcher(expr);
        if (lv.find()) {
            return Set.of(lv.group(1));
        }
        String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("\\boffset\\s+-?[0-9]+[a-z]+", " ");
        Set<String> out = new TreeSet<>();
        Matcher m = NAME.matcher(s);
        while (m.find()) {
            if (m.group(2) == null && !KEYWORDS.contains(m.group(1).toLowerCase(java.util.Locale.ROOT))) {
                out.add(m.group(1));
            }
        }
        return out;
    }
}
