package dev.formica.engine.state;

import static dev.formica.engine.state.StateTestSupport.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecisionRecordsTest {

    private static final long GEN = 1_000;

    @TempDir
    Path dir;

    private StateConfig cfg;

    @BeforeEach
    void config() {
        cfg = StateTestSupport.smallConfig().withDecisionGenerationMillis(GEN);
    }

    private static byte[] payload(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void shouldReturnWhatWasPut() throws IOException {
        try (DecisionRecords records = DecisionRecords.open(dir, cfg, false, T0)) {
            assertNull(records.get("req-1"));
            assertFalse(records.contains("req-1"));
            byte[] big = payload(StateConfig.MAX_PAYLOAD_BYTES, 3);
            records.put("req-1", (byte) 2, T0 + 5, big);
            records.put(new StringBuilder("req-").append(2), (byte) 1, T0, new byte[0]);
            DecisionRecord r = records.get(new StringBuilder("req-1"));
            assertEquals(2, r.kind());
            assertEquals(T0 + 5, r.createdMs());
            assertArrayEquals(big, r.payload());
            assertEquals(0, records.get("req-2").payload().length);
            assertTrue(records.contains("req-2"));
            assertEquals(2, records.size());
            assertThrows(IllegalArgumentException.class,
                    () -> records.put("req-3", (byte) 1, T0, new byte[StateConfig.MAX_PAYLOAD_BYTES + 1]));
        }
    }

    @Test
    void shouldKeepRecordsBetweenOneAndTwoGenerations() throws IOException {
        try (DecisionRecords records = DecisionRecords.open(dir, cfg, false, T0)) {
            records.put("old", (byte) 1, T0, payload(10, 1));
            assertEquals(T0, records.currentGenerationStartMs(), "the first record starts the first generation");
            records.rotateIfDue(T0 + GEN - 1);
            assertEquals(T0, records.currentGenerationStartMs(), "not due yet");

            records.rotateIfDue(T0 + GEN);
            assertEquals(T0 + GEN, records.currentGenerationStartMs());
            assertEquals(T0, records.previousGenerationStartMs());
            assertTrue(records.contains("old"), "visible for one generation after rotation");
            assertArrayEquals(payload(10, 1), records.get("old").payload());
            records.put("new", (byte) 1, T0 + GEN + 500, payload(10, 2));

            records.rotateIfDue(T0 + 2 * GEN - 1);
            assertTrue(records.contains("old"));

            records.rotateIfDue(T0 + 2 * GEN);
            assertFalse(records.contains("old"), "gone after two generations");
            assertNull(records.get("old"));
            assertTrue(records.contains("new"));

            records.rotateIfDue(T0 + 3 * GEN);
            assertFalse(records.contains("new"));
            assertEquals(0, records.size());
        }
    }

    @Test
    void shouldTakeAndFindRecordsInAGenerationReusedAfterItWasDropped() throws IOException {
        try (DecisionRecords records = DecisionRecords.open(dir, cfg, false, T0)) {
            for (int g = 0; g < 5; g++) {
                long start = T0 + g * GEN;
                records.rotateIfDue(start); // from the third on, the generation dropped is cleared and taken again
                for (int i = 0; i < 50; i++) {
                    records.put("g" + g + "-" + i, (byte) 1, start, i, payload(20 + i, g * 100 + i));
                }
                for (int i = 0; i < 50; i++) {
                    assertArrayEquals(payload(20 + i, g * 100 + i), records.get("g" + g + "-" + i).payload());
                    if (g > 0) {
                        assertTrue(records.contains("g" + (g - 1) + "-" + i), "the previous generation's");
                    }
                    if (g > 1) {
                        assertFalse(records.contains("g" + (g - 2) + "-" + i), "dropped with its generation");
                    }
                }
                assertEquals(g == 0 ? 50 : 100, records.size());
            }
        }
    }

    @Test
    void shouldRecordEveryPutAndRotationForTheShardLog() throws IOException {
        try (DecisionRecords records = DecisionRecords.open(dir, cfg, false, T0)) {
            StateOps ops = new StateOps();
            records.ops = ops;
            records.put("a", (byte) 1, T0, 77, payload(4, 1));
            assertEquals(0, ops.length(), "nothing is recorded while recording is off (recovery)");
            ops.recording(true);
            records.put("b", (byte) 1, T0 + 1, 78, payload(4, 2));
            records.rotateIfDue(T0 + GEN);
            assertTrue(ops.length() > 0);
        }
    }

    @Test
    void shouldStartTheNextGenerationEarlyWhenTheCurrentOneIsFull() throws IOException {
        StateConfig tiny = StateConfig.defaults().withSizes(1_000, 1_000, 1_000).withDecisionGenerationMillis(GEN);
        try (DecisionRecords records = DecisionRecords.open(dir, tiny, false, T0)) {
            long capacity = records.capacity();
            int n = (int) (capacity * 3 + 7);
            byte[] body = payload(600, 1); // larger than the sized average: tiers fill before the count does
            for (int i = 0; i < n; i++) {
                records.put("req-" + i, (byte) 1, T0 + i / 1000, body);
            }
            assertTrue(records.earlyRotations() >= 2, "rotated " + records.earlyRotations() + " times");
            assertTrue(records.contains("req-" + (n - 1)), "the newest record is kept");
            assertNotNull(records.get("req-" + (n - 1)));
            assertFalse(records.contains("req-0"), "the oldest generation was dropped to make room");
        }
    }

    @Test
    void shouldKeepKeysWithTheSameHashApart() {
        try (DecisionRecords records = DecisionRecords.open(dir, cfg, false, T0)) {
            records.hasher = k -> 42L; // every key collides
            for (int i = 0; i < 5; i++) {
                records.put("k" + i, (byte) 1, T0 + i, i, payload(8, i));
            }
            records.put("k3", (byte) 2, T0 + 9, 33, payload(5, 9)); // replaces k3's record
            assertEquals(5, records.size());
            for (int i = 0; i < 5; i++) {
                assertTrue(records.contains("k" + i), "k" + i);
                DecisionRecord r = records.get("k" + i);
                assertEquals(i == 3 ? 33 : i, r.fingerprint());
                assertArrayEquals(i == 3 ? payload(5, 9) : payload(8, i), r.payload());
            }
            assertFalse(records.contains("k5"), "a new key with the same hash is absent");
            assertNull(records.get("k5"));
            java.util.List<String> seen = new java.util.ArrayList<>();
            records.forEach((k, r) -> seen.add(k + ":" + r.fingerprint()));
            assertEquals(java.util.List.of("k0:0", "k1:1", "k2:2", "k4:4", "k3:33"), seen,
                    "each key once, with its newest record, in the order written");
        }
    }

    @Test
    void shouldSpreadRecordsOverChunksAndFreeThemAGenerationAfterTheirOwn() {
        try (DecisionRecords records = new DecisionRecords(cfg, new RecordChunksTest.HeldExecutor())) {
            byte[] big = payload(StateConfig.MAX_PAYLOAD_BYTES, 7);
            int n = 3 * DecisionRecords.CHUNK_BYTES / StateConfig.MAX_PAYLOAD_BYTES; // about three chunks
            for (int i = 0; i < n; i++) {
                records.put("big-" + i, (byte) 1, T0, i, i % 2 == 0 ? big : payload(i % 300, i));
            }
            long held = records.offHeapBytes();
            assertTrue(held >= 2L * DecisionRecords.CHUNK_BYTES, held + " bytes");
            for (int i = 0; i < n; i++) {
                assertArrayEquals(i % 2 == 0 ? big : payload(i % 300, i), records.get("big-" + i).payload(), "" + i);
            }
            long[] visited = {0};
            records.forEach((k, r) -> assertEquals(Long.parseLong(k.substring(4)), visited[0]++));
            assertEquals(n, visited[0]);
            records.rotateIfDue(T0 + GEN);
            records.rotateIfDue(T0 + 2 * GEN);
            assertEquals(0, records.size());
            assertEquals(0, records.offHeapBytes());
            assertEquals(held, records.chunkPool().spareBytes(), "the dropped generation's chunks, kept for reuse");
            records.rotateIfDue(T0 + 3 * GEN);
            assertEquals(0, records.chunkPool().spareBytes(), "freed: a generation went by without them");
        }
    }

    @Test
    void shouldKeepRecordsWholeAcrossAColdChunkAndChunksFaultedAheadOnHugePages() {
        // the fault-ahead runs at once on the taker's thread: every chunk after the first is one faulted ahead
        try (DecisionRecords records = new DecisionRecords(cfg, Runnable::run)) {
            byte[] big = payload(StateConfig.MAX_PAYLOAD_BYTES, 3);
            int n = 4 * DecisionRecords.CHUNK_BYTES / StateConfig.MAX_PAYLOAD_BYTES; // about four chunks
            for (int i = 0; i < n; i++) {
                records.put("k-" + i, (byte) 1, T0, i, i % 5 != 0 ? big : payload(i % 500, i));
            }
            assertTrue(records.offHeapBytes() >= 3L * DecisionRecords.CHUNK_BYTES, records.offHeapBytes() + " bytes");
            assertEquals(1, records.chunkPool().coldChunks(), "only the first chunk was the taker's own");
            for (int i = 0; i < n; i++) {
                DecisionRecord r = records.get("k-" + i);
                assertEquals(i, r.fingerprint());
                assertArrayEquals(i % 5 != 0 ? big : payload(i % 500, i), r.payload(), "" + i);
            }
            long[] visited = {0};
            records.forEach((k, r) -> assertEquals(Long.parseLong(k.substring(2)), visited[0]++));
            assertEquals(n, visited[0]);
        }
    }

    @Test
    void shouldFillADroppedGenerationsChunksAgainAndShowOnlyTheNewRecords() {
        try (DecisionRecords records = new DecisionRecords(cfg, new RecordChunksTest.HeldExecutor());
                DecisionRecords copy = new DecisionRecords(cfg, new RecordChunksTest.HeldExecutor())) {
            byte[] big = payload(StateConfig.MAX_PAYLOAD_BYTES, 7);
            int n = 3 * DecisionRecords.CHUNK_BYTES / StateConfig.MAX_PAYLOAD_BYTES; // about three chunks
            for (int i = 0; i < n; i++) {
                records.put("old-" + i, (byte) 1, T0, i, big);
            }
            long cold = records.chunkPool().coldChunks();
            assertEquals(records.offHeapBytes(), cold * DecisionRecords.CHUNK_BYTES, "nothing faulted ahead ran");
            records.rotateIfDue(T0 + GEN);
            records.rotateIfDue(T0 + 2 * GEN); // drops the old records' generation: its chunks are filled again
            int m = n / 2; // into the first two of them, over the old records' bytes
            for (int i = 0; i < m; i++) {
                records.put("new-" + i, (byte) 2, T0 + 2 * GEN, i, payload(StateConfig.MAX_PAYLOAD_BYTES - i, i));
            }
            assertEquals(cold, records.chunkPool().coldChunks(), "no new chunk: the dropped ones were reused");
            java.util.List<String> seen = new java.util.ArrayList<>();
            records.forEach(false, (k, r) -> {
                seen.add(k);
                assertArrayEquals(payload(StateConfig.MAX_PAYLOAD_BYTES - (int) r.fingerprint(),
                        (int) r.fingerprint()), r.payload(), k);
            });
            assertEquals(m, seen.size(), "the old records' bytes in the reused chunks are not records any more");
            assertEquals("new-0", seen.get(0));
            assertFalse(records.contains("old-" + (n - 1)));
            copy.restoreGenerations(records.previousGenerationStartMs(), records.currentGenerationStartMs());
            records.forEachRaw(false, (chunk, at, length) -> {
                byte[] bytes = new byte[length];
                chunk.getBytes(at, bytes);
                copy.restoreRaw(false, bytes, length);
            });
            assertEquals(m, copy.size(false), "what a snapshot writes of them is the new records alone");
            assertArrayEquals(records.get("new-3").payload(), copy.get("new-3").payload());
        }
    }

    @Test
    void shouldRestoreWhatItVisits() {
        try (DecisionRecords records = DecisionRecords.open(dir, cfg, false, T0);
                DecisionRecords copy = DecisionRecords.open(dir, cfg, false, T0)) {
            records.put("a", (byte) 1, T0, 1, payload(3, 1));
            records.rotateIfDue(T0 + GEN);
            records.put("b", (byte) 2, T0 + GEN, 2, payload(4, 2));
            copy.restoreGenerations(records.previousGenerationStartMs(), records.currentGenerationStartMs());
            for (boolean previous : new boolean[] {true, false}) {
                records.forEach(previous, (k, r) -> copy.restore(previous, k, r.kind(), r.createdMs(), r.fingerprint(),
                        r.payload()));
            }
            StringBuilder a = new StringBuilder();
            StringBuilder b = new StringBuilder();
            records.forEach((k, r) -> a.append(k).append(r.kind()).append(r.createdMs()).append(r.fingerprint())
                    .append(java.util.Arrays.toString(r.payload())));
            copy.forEach((k, r) -> b.append(k).append(r.kind()).append(r.createdMs()).append(r.fingerprint())
                    .append(java.util.Arrays.toString(r.payload())));
            assertEquals(a.toString(), b.toString());
            assertEquals(T0, copy.previousGenerationStartMs());
        }
    }
}
