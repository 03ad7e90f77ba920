package dev.formica.engine.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.Map;
import org.HdrHistogram.Recorder;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 21, deliverable 10: {@code /latency.json} carries the last 15 minutes per second (throughput and p99) of
 * the {@code total} stage and of each RPC that saw calls, oldest first, bounded to 900 samples, on the hub's clock.
 */
class LatencyHistoryTest {
    private static final long START_MS = 1_780_000_000_000L;

    private final CachedEpochClock clock = new CachedEpochClock();
    private LatencyHub hub;

    @AfterEach
    void close() {
        if (hub != null) {
            hub.close();
        }
    }

    private static Map<String, JsonArray> history(String json) {
        JsonObject page = JsonParser.parseString(json).getAsJsonObject();
        assertEquals(LatencyHistory.SAMPLES, page.get("historySeconds").getAsInt());
        Map<String, JsonArray> out = new HashMap<>();
        for (JsonElement e : page.getAsJsonArray("history")) {
            out.put(e.getAsJsonObject().get("name").getAsString(), e.getAsJsonObject().getAsJsonArray("points"));
        }
        return out;
    }

    @Test
    void shouldKeepPerSecondThroughputAndP99OfTheLastFifteenMinutes() {
        clock.update(START_MS);
        hub = new LatencyHub(true, 1, clock, new DecisionMetrics(new PrometheusRegistry()), 5000, null, 0, 0, 0);
        Recorder decide = hub.rpcTimers("formica.v1.DecisionService", "Decide").recorder(0);
        int seconds = LatencyHistory.SAMPLES + 100;
        for (int s = 1; s <= seconds; s++) {
            // second s: s calls of Decide, 1 ms each, 2 % of them 50 ms from second 500 on; 10 decisions end to end
            for (int i = 0; i < s; i++) {
                decide.recordValue(s >= 500 && i < s / 50 ? 50_000_000L : 1_000_000L);
            }
            for (int i = 0; i < 10; i++) {
                hub.shard(0).record(Stage.TOTAL, 2_000_000L);
            }
            clock.advance(1000);
            hub.tick();
        }
        Map<String, JsonArray> history = history(hub.pageJson());
        assertEquals(java.util.Set.of("rpc.Decide", "total"), history.keySet(), "stages other than total are left out");
        JsonArray points = history.get("rpc.Decide");
        assertEquals(LatencyHistory.SAMPLES, points.size(), "bounded to 15 minutes");
        JsonArray oldest = points.get(0).getAsJsonArray();
        JsonArray newest = points.get(points.size() - 1).getAsJsonArray();
        assertEquals(START_MS + 101_000L, oldest.get(0).getAsLong(), "the first 100 seconds were overwritten");
        assertEquals(START_MS + seconds * 1000L, newest.get(0).getAsLong());
        assertEquals(101, oldest.get(1).getAsLong(), "calls per second");
        assertEquals(seconds, newest.get(1).getAsLong());
        assertEquals(1_000_000, oldest.get(2).getAsLong(), 10_000, "p99 of second 101: 1 ms");
        assertEquals(1_000_000, points.get(398).getAsJsonArray().get(2).getAsLong(), 10_000, "second 499: 1 ms");
        assertEquals(50_000_000, points.get(399).getAsJsonArray().get(2).getAsLong(), 100_000, "second 500: 50 ms");
        for (int i = 1; i < points.size(); i++) {
            assertTrue(points.get(i).getAsJsonArray().get(0).getAsLong()
                    > points.get(i - 1).getAsJsonArray().get(0).getAsLong(), "oldest first");
        }
        JsonArray total = history.get("total");
        assertEquals(10, total.get(0).getAsJsonArray().get(1).getAsLong());
        assertEquals(2_000_000, total.get(0).getAsJsonArray().get(2).getAsLong(), 20_000);
    }

    @Test
    void shouldLeaveOutSeriesThatNeverSawACall() {
        clock.update(START_MS);
        hub = new LatencyHub(true, 1, clock, new DecisionMetrics(new PrometheusRegistry()), 5000, null, 0, 0, 0);
        hub.rpcTimers("formica.v1.DecisionService", "GetCreditLine").recorder(0);
        clock.advance(1000);
        hub.tick();
        assertFalse(hub.pageJson().contains("\"history\":[{"), hub.pageJson());
    }
}
