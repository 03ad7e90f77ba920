package dev.formica.engine.state;

import static dev.formica.engine.state.StateTestSupport.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The holds' own table ({@link HoldBook}): its index, its slots, its capacity and its readers on other threads. */
class HoldTableTest {

    private HoldBook holds;

    @AfterEach
    void close() {
        if (holds != null) {
            holds.close();
        }
    }

    private static HoldBook book(long expectedHolds) {
        return HoldBook.open(StateConfig.defaults().withSizes(1_000, expectedHolds, 1_000));
    }

    /** A hold every field of which is derived from {@code v}, so a copy mixing two holds shows. */
    private static HoldSnapshot hold(long v, int state) {
        HoldSnapshot h = new HoldSnapshot().borrowerId("b-" + v + "-" + "x".repeat((int) (v % 40)))
                .product(1 + (int) (v % 3)).amountMinor(v).createdMs(T0 + v).expiresMs(T0 + 2 * v).state(state)
                .requestIdHash(~v);
        for (int i = 0; i < (int) (v % 5); i++) {
            h.addFunding(i + (int) (v % 7), v + i);
        }
        return h;
    }

    private static void assertHold(long v, HoldSnapshot h) {
        assertEquals("b-" + v + "-" + "x".repeat((int) (v % 40)), h.borrowerId().toString());
        assertEquals(1 + (int) (v % 3), h.product());
        assertEquals(v, h.amountMinor());
        assertEquals(T0 + v, h.createdMs());
        assertEquals(T0 + 2 * v, h.expiresMs());
        assertEquals(~v, h.requestIdHash());
        assertEquals((int) (v % 5), h.fundingCount());
        for (int i = 0; i < h.fundingCount(); i++) {
            assertEquals(i + (int) (v % 7), h.funderIndex(i));
            assertEquals(v + i, h.fundingAmountMinor(i));
        }
    }

    /** Why a hold is not whole (every field from one value), or null when it is. */
    private static String torn(HoldSnapshot h) {
        long v = h.amountMinor();
        boolean whole = h.borrowerId().toString().equals("b-" + v + "-" + "x".repeat((int) (Math.abs(v) % 40)))
                && h.createdMs() == T0 + v && h.expiresMs() == T0 + 2 * v && h.requestIdHash() == ~v
                && h.fundingCount() == (int) (v % 5);
        for (int i = 0; whole && i < h.fundingCount(); i++) {
            whole = h.fundingAmountMinor(i) == v + i;
        }
        return whole ? null : "a torn hold: amount " + v + ", borrower " + h.borrowerId() + ", created "
                + h.createdMs() + ", request hash " + h.requestIdHash() + ", splits " + h.fundingCount();
    }

    @Test
    void shouldPutGetReplaceAndRemoveAndTakeAFreedSlotAgain() {
        holds = book(100);
        holds.put(42L, hold(7, HoldState.ACTIVE));
        HoldSnapshot out = new HoldSnapshot();
        assertTrue(holds.get(42L, out));
        assertHold(7, out);
        holds.put(42L, hold(8, HoldState.CONFIRMED));
        assertTrue(holds.get(42L, out));
        assertHold(8, out);
        assertEquals(HoldState.CONFIRMED, out.state());
        assertEquals(1, holds.size());
        assertEquals(0, holds.activeCount(), "the replaced hold was active, the new one is not");
        assertTrue(holds.remove(42L));
        assertFalse(holds.contains(42L));
        holds.put(43L, hold(9, HoldState.ACTIVE));
        assertTrue(holds.get(43L, out));
        assertHold(9, out);
        assertEquals(1, holds.size());
        assertEquals(1, holds.slotsHandedOut(), "the freed slot was taken again");
        holds.put(44L, hold(10, HoldState.ACTIVE));
        assertEquals(2, holds.slotsHandedOut());
        assertTrue(holds.get(43L, out));
        assertHold(9, out);
    }

    @Test
    void shouldRefuseANewHoldWhenFullWithoutChangingAnythingAndTakeOneWhenASlotIsFreed() {
        holds = book(10); // × maxBloatFactor 2.0: 20 holds
        StateOps ops = new StateOps();
        ops.recording(true);
        holds.ops = ops;
        assertEquals(20, holds.capacity());
        for (long id = 1; id <= 20; id++) {
            holds.put(id * 1_000_003L, hold(id, HoldState.ACTIVE));
        }
        int recorded = ops.length();
        IllegalStateException full = assertThrows(IllegalStateException.class,
                () -> holds.put(99L, hold(99, HoldState.ACTIVE)));
        assertTrue(full.getMessage().contains("full"), full.getMessage());
        assertFalse(holds.contains(99L));
        assertEquals(20, holds.size());
        assertEquals(20, holds.activeCount());
        assertEquals(recorded, ops.length(), "a refused put records nothing");
        holds.put(5 * 1_000_003L, hold(55, HoldState.CANCELLED)); // a replacement needs no new slot
        assertTrue(holds.remove(3 * 1_000_003L));
        holds.put(99L, hold(99, HoldState.ACTIVE));
        HoldSnapshot out = new HoldSnapshot();
        assertTrue(holds.get(99L, out));
        assertHold(99, out);
        assertEquals(20, holds.size());
        assertEquals(19, holds.activeCount(), "20 active, one replaced by a cancelled one, one removed, one added");
    }

    @Test
    void shouldAgreeWithAHashMapOverManyRandomAndCollidingIds() {
        holds = book(40_000);
        SplittableRandom random = new SplittableRandom(19);
        long[] ids = new long[30_000];
        for (int i = 0; i < ids.length; i++) {
            // random ids, ids that differ only in their high bits, and ids that differ only in their low bits
            ids[i] = switch (i % 3) {
                case 0 -> random.nextLong();
                case 1 -> (long) i << 40;
                default -> 0x7700_0000_0000_0000L + i;
            };
        }
        Map<Long, long[]> model = new HashMap<>(); // id -> {value, state}
        HoldSnapshot out = new HoldSnapshot();
        for (int op = 0; op < 300_000; op++) {
            long id = ids[random.nextInt(op < 100_000 ? ids.length : ids.length / 3)];
            long[] expected = model.get(id);
            switch (random.nextInt(6)) {
                case 0, 1 -> {
                    long v = random.nextLong(1, 1L << 40);
                    int state = 1 + random.nextInt(4);
                    holds.put(id, hold(v, state));
                    model.put(id, new long[] {v, state});
                }
                case 2 -> {
                    int state = 1 + random.nextInt(4);
                    assertEquals(expected != null, holds.setState(id, state));
                    if (expected != null) {
                        expected[1] = state;
                    }
                }
                case 3 -> {
                    assertEquals(expected != null, holds.remove(id));
                    model.remove(id);
                }
                case 4 -> {
                    boolean removed = holds.removeIfFinished(id);
                    assertEquals(expected != null && expected[1] != HoldState.ACTIVE, removed);
                    if (removed) {
                        model.remove(id);
                    }
                }
                default -> {
                    boolean wasActive = expected != null && expected[1] == HoldState.ACTIVE;
                    assertEquals(wasActive, holds.expireIfActive(id, out));
                    if (expected != null && expected[1] == HoldState.ACTIVE) {
                        expected[1] = HoldState.EXPIRED;
                    }
                }
            }
            if (op % 1_000 == 0) {
                assertEquals(model.size(), holds.size());
            }
        }
        assertEquals(model.size(), holds.size());
        assertEquals(model.values().stream().filter(e -> e[1] == HoldState.ACTIVE).count(), holds.activeCount());
        for (long id : ids) {
            long[] expected = model.get(id);
            assertEquals(expected != null, holds.contains(id));
            assertEquals(expected != null, holds.get(id, out));
            if (expected != null) {
                assertHold(expected[0], out);
                assertEquals(expected[1], out.state());
            }
        }
        Map<Long, long[]> visited = new HashMap<>();
        holds.forEach((id, h) -> assertNull(visited.put(id, new long[] {h.amountMinor(), h.state()})));
        assertEquals(model.keySet(), visited.keySet());
        model.forEach((id, e) -> assertEquals(List.of(e[0], e[1]), List.of(visited.get(id)[0], visited.get(id)[1])));
        long[] brief = {0};
        holds.forEachBrief((id, state, expiresMs, borrowerId, product, amountMinor) -> {
            long[] e = model.get(id);
            assertEquals(e[1], state);
            assertEquals(T0 + 2 * e[0], expiresMs);
            assertEquals(e[0], amountMinor);
            assertEquals(state == HoldState.ACTIVE ? "b-" + e[0] + "-" + "x".repeat((int) (e[0] % 40)) : "",
                    borrowerId.toString());
            brief[0]++;
        });
        assertEquals(model.size(), brief[0]);
    }

    @Test
    void shouldKeepABorrowerIdOutsideAsciiAndRefuseOneLongerThanTheSlotInUtf8() {
        holds = book(100);
        holds.put(1L, hold(3, HoldState.ACTIVE).borrowerId("借款人-é-1"));
        HoldSnapshot out = new HoldSnapshot();
        assertTrue(holds.get(1L, out));
        assertEquals("借款人-é-1", out.borrowerId().toString());
        String tooLong = "借".repeat(22); // 22 chars, 66 UTF-8 bytes
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> holds.put(2L, hold(3, HoldState.ACTIVE).borrowerId(tooLong)));
        assertTrue(e.getMessage().contains("borrowerId"), e.getMessage());
        assertFalse(holds.contains(2L));
        holds.put(3L, hold(4, HoldState.ACTIVE).borrowerId("b".repeat(StateConfig.MAX_ID_CHARS)));
        assertTrue(holds.get(3L, out));
        assertEquals("b".repeat(StateConfig.MAX_ID_CHARS), out.borrowerId().toString());
    }

    @Test
    void shouldNeverShowAReaderOnAnotherThreadATornHold() throws Exception {
        holds = book(2_000);
        long[] ids = new long[512];
        SplittableRandom random = new SplittableRandom(23);
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextLong();
        }
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        List<String> torn = new CopyOnWriteArrayList<>();
        CountDownLatch readerStarted = new CountDownLatch(1);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try {
            Future<?> readerDone = reader.submit(() -> {
                HoldSnapshot out = new HoldSnapshot();
                SplittableRandom r = new SplittableRandom(29);
                readerStarted.countDown();
                while (!done.get() && torn.isEmpty()) {
                    if (holds.get(ids[r.nextInt(ids.length)], out)) {
                        reads.incrementAndGet();
                        String why = torn(out);
                        if (why != null) {
                            torn.add(why);
                        }
                    }
                    if (r.nextInt(64) == 0) {
                        holds.forEach((id, h) -> {
                            String why = torn(h);
                            if (why != null) {
                                torn.add(why);
                            }
                        });
                    }
                }
            });
            assertTrue(readerStarted.await(30, TimeUnit.SECONDS));
            // the writer: replaces, removes (slots freed and taken again, runs shifted back) and grows the index
            SplittableRandom w = new SplittableRandom(31);
            for (int op = 0; op < 2_000_000 && torn.isEmpty(); op++) {
                long id = ids[w.nextInt(ids.length)];
                if (w.nextInt(4) == 0) {
                    holds.remove(id);
                } else {
                    holds.put(id, hold(w.nextLong(1, 1L << 40), 1 + w.nextInt(4)));
                }
                if (op >= 200_000 && reads.get() >= 10_000) {
                    break; // enough overlap seen
                }
            }
            done.set(true);
            readerDone.get(60, TimeUnit.SECONDS);
        } finally {
            reader.shutdownNow();
        }
        assertEquals(List.of(), torn);
        assertTrue(reads.get() > 0, "the reader read while the writer wrote");
    }
}
