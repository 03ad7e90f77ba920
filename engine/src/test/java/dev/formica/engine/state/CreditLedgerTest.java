package dev.formica.engine.state;

import static dev.formica.engine.state.StateTestSupport.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CreditLedgerTest {

    @TempDir
    Path tmp;

    private ShardState state;
    private CreditLedger ledger;
    private final LedgerSnapshot snapshot = new LedgerSnapshot();

    @BeforeEach
    void open() throws IOException {
        state = StateTestSupport.open(tmp.resolve("shard"));
        ledger = state.ledger();
    }

    @AfterEach
    void close() throws IOException {
        state.close();
    }

    @Test
    void shouldCreateLineWithNothingHeldOrDrawn() {
        assertFalse(ledger.get("b-1", 1, snapshot));
        ledger.putLine("b-1", 1, 300_000, T0);
        assertTrue(ledger.get("b-1", 1, snapshot));
        assertEquals(300_000, snapshot.lineMinor());
        assertEquals(0, snapshot.heldMinor());
        assertEquals(0, snapshot.drawnMinor());
        assertEquals(300_000, snapshot.availableMinor());
        assertEquals(1, snapshot.version());
        assertEquals(T0, snapshot.updatedMs());
        assertFalse(ledger.get("b-1", 2, snapshot), "products are separate lines");
        assertEquals(1, ledger.size());
    }

    @Test
    void shouldChangeOnlyTheLineOnSecondPutLine() {
        ledger.putLine("b-1", 1, 300_000, T0);
        ledger.apply("b-1", 1, 10_000, 2_000, T0 + 1);
        ledger.setGrade("b-1", 1, 4, T0 + 2);
        ledger.putLine("b-1", 1, 100_000, T0 + 3);
        assertTrue(ledger.get("b-1", 1, snapshot));
        assertEquals(100_000, snapshot.lineMinor());
        assertEquals(10_000, snapshot.heldMinor());
        assertEquals(2_000, snapshot.drawnMinor());
        assertEquals(4, snapshot.grade());
        assertEquals(4, snapshot.version());
        assertEquals(T0 + 3, snapshot.updatedMs());
    }

    @Test
    void shouldIncreaseVersionOnEveryChange() {
        ledger.putLine("b-1", 2, 1_000, T0);
        assertEquals(2, ledger.apply("b-1", 2, 100, 0, T0));
        assertEquals(3, ledger.apply("b-1", 2, -100, 50, T0));
        ledger.setFrozen("b-1", 2, true, T0);
        ledger.setHeld("b-1", 2, 7, T0);
        assertTrue(ledger.get("b-1", 2, snapshot));
        assertEquals(5, snapshot.version());
        assertTrue(snapshot.frozen());
        assertEquals(7, snapshot.heldMinor());
        assertEquals(50, snapshot.drawnMinor());
    }

    @Test
    void shouldRefuseApplyToAMissingLineAndOverflow() {
        assertThrows(IllegalStateException.class, () -> ledger.apply("nobody", 1, 1, 0, T0));
        ledger.putLine("b-1", 1, 1_000, T0);
        ledger.apply("b-1", 1, Long.MAX_VALUE, 0, T0);
        assertThrows(ArithmeticException.class, () -> ledger.apply("b-1", 1, 1, 0, T0));
        assertTrue(ledger.get("b-1", 1, snapshot));
        assertEquals(Long.MAX_VALUE, snapshot.heldMinor());
        assertEquals(2, snapshot.version(), "a refused apply changes nothing");
    }

    @Test
    void shouldApplyIfPresentOnlyToAnExistingLine() {
        StateOps ops = new StateOps();
        ops.recording(true);
        ledger.ops = ops;
        assertFalse(ledger.applyIfPresent("nobody", 1, 5, 0, T0));
        assertEquals(0, ops.length(), "nothing is recorded for a missing line");
        ledger.putLine("b-1", 1, 1_000, T0);
        ledger.putLine("b-1", 2, 1_000, T0);
        int before = ops.length();
        assertTrue(ledger.applyIfPresent("b-1", 1, 30, 4, T0 + 1));
        assertTrue(ops.length() > before, "the change is recorded as an apply");
        assertFalse(ledger.applyIfPresent("b-1", 3, 30, 4, T0), "another product of the borrower has no line");
        assertTrue(ledger.get("b-1", 1, snapshot));
        assertEquals(30, snapshot.heldMinor());
        assertEquals(4, snapshot.drawnMinor());
        assertEquals(2, snapshot.version());
        assertEquals(T0 + 1, snapshot.updatedMs());
        assertEquals(30, ledger.heldTotalMinor(1));
        assertTrue(ledger.get("b-1", 2, snapshot));
        assertEquals(0, snapshot.heldMinor(), "the other line is unchanged");
        ledger.apply("b-1", 1, Long.MAX_VALUE - 30, 0, T0);
        assertThrows(ArithmeticException.class, () -> ledger.applyIfPresent("b-1", 1, 1, 0, T0));
    }

    @Test
    void shouldFindEveryLineRestoredIntoAFreshLedgerAndNoOther() throws IOException {
        // the presence filter is on the heap: a snapshot's lines restored into a fresh ledger must be in it
        for (int b = 0; b < 2_000; b++) {
            ledger.putLine("b-" + b, 1 + b % 3, 100 + b, T0);
            assertTrue(ledger.applyIfPresent("b-" + b, 1 + b % 3, 1, 0, T0), "b-" + b);
        }
        LedgerSnapshot line = new LedgerSnapshot();
        try (ShardState other = StateTestSupport.open(tmp.resolve("other"))) {
            for (int b = 0; b < 2_000; b++) {
                assertTrue(ledger.get("b-" + b, 1 + b % 3, line));
                assertFalse(other.ledger().get("b-" + b, 1 + b % 3, snapshot), "not restored yet: b-" + b);
                other.ledger().restore("b-" + b, 1 + b % 3, line);
            }
            for (int b = 0; b < 2_000; b++) {
                assertTrue(other.ledger().get("b-" + b, 1 + b % 3, snapshot), "restored b-" + b);
                assertEquals(100 + b, snapshot.lineMinor());
                assertEquals(1, snapshot.heldMinor());
                assertFalse(other.ledger().get("b-" + b, 1 + (b + 1) % 3, snapshot), "no line on another product");
                assertTrue(other.ledger().applyIfPresent("b-" + b, 1 + b % 3, 1, 0, T0), "restored b-" + b);
            }
            assertEquals(4_000, other.ledger().heldTotalMinor(1) + other.ledger().heldTotalMinor(2)
                    + other.ledger().heldTotalMinor(3), "1 restored and 1 applied on each line");
        }
    }

    @Test
    void shouldValidateKeysAndGrade() {
        assertThrows(IllegalArgumentException.class, () -> ledger.putLine("b-1", 0, 1, T0));
        assertThrows(IllegalArgumentException.class, () -> ledger.putLine("b-1", 4, 1, T0));
        assertThrows(IllegalArgumentException.class, () -> ledger.putLine("", 1, 1, T0));
        assertThrows(IllegalArgumentException.class, () -> ledger.putLine("x".repeat(65), 1, 1, T0));
        ledger.putLine("x".repeat(64), 1, 1, T0);
        assertThrows(IllegalArgumentException.class, () -> ledger.setGrade("x".repeat(64), 1, 6, T0));
    }

    @Test
    void shouldFindTheSameLineForStringAndStringBuilderKeys() {
        StringBuilder id = new StringBuilder("borrower-").append(42);
        ledger.putLine(id, 3, 9_000, T0);
        assertTrue(ledger.get("borrower-42", 3, snapshot));
        assertEquals(9_000, snapshot.lineMinor());
        ledger.apply("borrower-42", 3, 1, 0, T0);
        assertTrue(ledger.get(id, 3, snapshot));
        assertEquals(1, snapshot.heldMinor());
        assertEquals(1, ledger.size());
    }

    @Test
    void shouldVisitEveryLine() {
        ledger.putLine("b-1", 1, 100, T0);
        ledger.putLine("b-1", 3, 300, T0);
        ledger.putLine("b-2", 2, 200, T0);
        Map<String, Long> seen = new HashMap<>();
        ledger.forEach((borrower, product, line) -> seen.put(borrower + "/" + product, line.lineMinor()));
        assertEquals(Map.of("b-1/1", 100L, "b-1/3", 300L, "b-2/2", 200L), seen);
    }

    @Test
    void shouldApplyDeltasAtomicallyFromFourThreads() throws Exception {
        int threads = 4;
        int perThread = 20_000;
        ledger.putLine("hot", 1, 1_000_000_000L, T0);
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong torn = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            List<Future<long[]>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                writers.add(pool.submit(() -> {
                    start.await();
                    long last = 0;
                    long decreasing = 0;
                    for (int i = 0; i < perThread; i++) {
                        long version = ledger.apply("hot", 1, 1, 2, T0);
                        if (version <= last) {
                            decreasing++;
                        }
                        last = version;
                    }
                    return new long[] {decreasing};
                }));
            }
            Future<?> reader = pool.submit(() -> {
                LedgerSnapshot s = new LedgerSnapshot();
                start.await();
                while (writing.get()) {
                    ledger.get("hot", 1, s);
                    // every apply adds held 1, drawn 2 and version 1 together: a torn read breaks these
                    if (s.drawnMinor() != 2 * s.heldMinor() || s.version() != 1 + s.heldMinor()) {
                        torn.incrementAndGet();
                    }
                    reads.incrementAndGet();
                }
                return null;
            });
            start.countDown();
            for (Future<long[]> w : writers) {
                assertEquals(0, w.get(60, TimeUnit.SECONDS)[0], "versions seen by one writer must increase");
            }
            writing.set(false);
            reader.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertTrue(ledger.get("hot", 1, snapshot));
        long total = (long) threads * perThread;
        assertEquals(total, snapshot.heldMinor());
        assertEquals(2 * total, snapshot.drawnMinor());
        assertEquals(1 + total, snapshot.version());
        assertEquals(0, torn.get(), "reader saw a half-applied delta in " + reads.get() + " reads");
        assertTrue(reads.get() > 0);
    }
}
