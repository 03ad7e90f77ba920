package dev.formica.engine.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.v1.LatencyDistribution;
import dev.formica.v1.LatencySnapshot;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.HistogramLogProcessor;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stage histograms merge across shards, intervals follow the clock, and the .hlog files are standard. */
class LatencyHubTest {
    private static final long START_MS = 1_780_000_000_000L;

    @TempDir
    Path dir;

    private final CachedEpochClock clock = new CachedEpochClock();
    private LatencyHub hub;

    private LatencyHub hub(long maxBytes, long maxAgeMs, int files) {
        clock.update(START_MS);
        hub = new LatencyHub(true, 2, clock, new DecisionMetrics(new PrometheusRegistry()), 5000,
                dir.resolve("latency"), maxBytes, maxAgeMs, files);
        return hub;
    }

    @AfterEach
    void close() {
        if (hub != null) {
            hub.close();
        }
    }

    private void seconds(int n) {
        for (int i = 0; i < n; i++) {
            clock.advance(1000);
            hub.tick();
        }
    }

    private static LatencyDistribution find(List<LatencyDistribution> list, String name) {
        return list.stream().filter(d -> d.getName().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void shouldMergeShardsPerStageAndFinishTheIntervalOnTheClock() {
        hub(1 << 20, 3_600_000, 10);
        for (int i = 0; i < 90; i++) {
            hub.shard(0).record(Stage.FRAUD, 1_000);
        }
        for (int i = 0; i < 10; i++) {
            hub.shard(1).record(Stage.FRAUD, 100_000);
        }
        seconds(1);
        LatencySnapshot early = hub.snapshot(Set.of());
        assertEquals(0, early.getIntervalCount(), "no interval has finished after 1 s of 5");
        LatencyDistribution fraud = find(early.getCumulativeList(), "fraud");
        assertEquals(100, fraud.getCount());
        assertEquals(1_000, fraud.getP50Nanos(), 10);
        assertEquals(100_000, fraud.getP99Nanos(), 1_000);
        assertEquals(100_000, fraud.getMaxNanos(), 1_000);

        seconds(4);
        LatencySnapshot done = hub.snapshot(Set.of("fraud", "total"));
        assertEquals(START_MS, done.getIntervalStartMs());
        assertEquals(START_MS + 5000, done.getIntervalEndMs());
        assertEquals(List.of("fraud", "total"), done.getIntervalList().stream().map(LatencyDistribution::getName)
                .toList());
        assertEquals(100, find(done.getIntervalList(), "fraud").getCount());
        assertEquals(0, find(done.getIntervalList(), "total").getCount());

        hub.shard(1).record(Stage.FRAUD, 5_000);
        seconds(5);
        LatencySnapshot next = hub.snapshot(Set.of("fraud"));
        assertEquals(1, find(next.getIntervalList(), "fraud").getCount(), "the second interval holds only its own");
        assertEquals(101, find(next.getCumulativeList(), "fraud").getCount());
    }

    @Test
    void shouldClampValuesOutsideTheRangeInsteadOfThrowing() {
        hub(1 << 20, 3_600_000, 10);
        hub.shard(0).record(Stage.COMMIT, -5);
        hub.shard(0).record(Stage.COMMIT, Long.MAX_VALUE);
        seconds(1);
        LatencyDistribution commit = find(hub.snapshot(Set.of()).getCumulativeList(), "commit");
        assertEquals(2, commit.getCount());
        assertTrue(commit.getMaxNanos() >= LatencyHistograms.MAX_NANOS, "recorded as the range's end");
    }

    @Test
    void shouldWriteHlogFilesThatHistogramLogProcessorReads() throws Exception {
        hub(1 << 20, 3_600_000, 10);
        var rpc = hub.rpcTimers("formica.v1.DecisionService", "Decide").recorder(0);
        for (int i = 1; i <= 1000; i++) {
            hub.shard(i % 2).record(Stage.TOTAL, i * 1_000L);
            rpc.recordValue(i * 2_000L);
        }
        seconds(5);
        hub.shard(0).record(Stage.TOTAL, 7_000_000);
        seconds(5);
        hub.close();

        List<Path> files = HlogFiles.files(dir.resolve("latency"));
        assertEquals(1, files.size(), files.toString());
        String text = Files.readString(files.get(0));
        assertTrue(text.contains("#[StartTime: " + START_MS / 1000 + ".000"), text);
        assertTrue(text.contains("Tag=total,"), text);
        assertTrue(text.contains("Tag=rpc.Decide,"), text);

        Path out = dir.resolve("total-report");
        new HistogramLogProcessor(new String[] {"-i", files.get(0).toString(), "-o", out.toString(), "-tag", "total",
            "-outputValueUnitRatio", "1000"}).run();
        String percentiles = Files.readString(Path.of(out + ".hgrm"));
        Matcher total = Pattern.compile("Total count\\s*=\\s*(\\d+)").matcher(percentiles);
        assertTrue(total.find(), percentiles);
        assertEquals(1001, Long.parseLong(total.group(1)), "both intervals of the total stage");
        Matcher max = Pattern.compile("#\\[Max\\s*=\\s*([\\d.]+)").matcher(percentiles);
        assertTrue(max.find(), percentiles);
        assertEquals(7000.0, Double.parseDouble(max.group(1)), 70.0, "max in microseconds: 7 ms");
        List<String> intervals = Files.readAllLines(out).stream()
                .filter(l -> l.matches("\\s*\\d+\\.\\d+:.*")).toList();
        assertEquals(2, intervals.size(), "one line per interval: " + Files.readString(out));

        Path rpcOut = dir.resolve("rpc-report");
        new HistogramLogProcessor(new String[] {"-i", files.get(0).toString(), "-o", rpcOut.toString(), "-tag",
            "rpc.Decide", "-outputValueUnitRatio", "1000"}).run();
        assertTrue(Files.readString(Path.of(rpcOut + ".hgrm")).matches("(?s).*Total count\\s*=\\s*1000\\b.*"));
    }

    @Test
    void shouldRotateBySizeAndKeepOnlyTheNewestFiles() throws Exception {
        hub(1, 3_600_000, 3);
        for (int i = 0; i < 6; i++) {
            hub.shard(0).record(Stage.TOTAL, 1_000 + i);
            seconds(5);
        }
        List<Path> files = HlogFiles.files(dir.resolve("latency"));
        assertEquals(3, files.size(), "a file per interval past 1 byte, newest 3 kept: " + files);
        assertTrue(files.get(2).getFileName().toString().compareTo(files.get(0).getFileName().toString()) > 0);
    }

    @Test
    void shouldRotateByAge() throws Exception {
        hub(1 << 20, 10_000, 10);
        seconds(30);
        List<Path> files = HlogFiles.files(dir.resolve("latency"));
        assertEquals(3, files.size(), "six 5 s intervals, a new file every 10 s: " + files);
    }

    @Test
    void shouldServeThePageDataAsJson() {
        hub(1 << 20, 3_600_000, 10);
        for (int i = 1; i <= 100; i++) {
            hub.shard(0).record(Stage.TOTAL, i * 1_000L);
        }
        seconds(1);
        String json = hub.pageJson();
        assertTrue(json.contains("\"name\":\"total\",\"kind\":\"stage\",\"count\":100,\"total\":100,\"perSecond\":100"),
                json);
        assertTrue(json.contains("[100,"), "the curve ends at the 100th percentile: " + json);
    }
}
