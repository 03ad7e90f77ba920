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
}
