package dev.formica.engine.state;

import static dev.formica.engine.state.StateTestSupport.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HoldBookTest {

    @TempDir
    Path tmp;

    private ShardState state;
    private HoldBook holds;

    @BeforeEach
    void open() throws IOException {
        state = StateTestSupport.open(tmp.resolve("shard"));
        holds = state.holds();
    }

    @AfterEach
    void close() throws IOException {
        state.close();
    }

    private static HoldSnapshot sample() {
        return new HoldSnapshot().borrowerId("borrower-1").product(2).amountMinor(150_000).createdMs(T0)
                .expiresMs(T0 + 900_000).state(HoldState.ACTIVE).requestIdHash(0x1234_5678_9abc_def0L)
                .addFunding(0, 45_000).addFunding(3, 60_000).addFunding(1, 45_000);
    }

    @Test
    void shouldRoundTripEveryFieldIncludingFundingSplit() {
        long holdId = 9_000_000_001L;
        holds.put(holdId, sample());
        HoldSnapshot out = new HoldSnapshot();
        assertTrue(holds.get(holdId, out));
        assertEquals("borrower-1", out.borrowerId().toString());
        assertEquals(2, out.product());
        assertEquals(150_000, out.amountMinor());
        assertEquals(T0, out.createdMs());
        assertEquals(T0 + 900_000, out.expiresMs());
        assertEquals(HoldState.ACTIVE, out.state());
        assertEquals(0x1234_5678_9abc_def0L, out.requestIdHash());
        assertEquals(3, out.fundingCount());
        assertEquals(3, out.funderIndex(1));
        assertEquals(60_000, out.fundingAmountMinor(1));
        assertEquals(45_000, out.fundingAmountMinor(2));
        assertThrows(IndexOutOfBoundsException.class, () -> out.funderIndex(3));
        assertEquals(1, holds.size());
    }

    @Test
    void shouldChangeStateAndRemove() {
        holds.put(5L, sample());
        assertTrue(holds.setState(5L, HoldState.CONFIRMED));
        HoldSnapshot out = new HoldSnapshot();
        assertTrue(holds.get(5L, out));
        assertEquals(HoldState.CONFIRMED, out.state());
        assertEquals(150_000, out.amountMinor(), "setState changes only the state");
        assertFalse(holds.setState(6L, HoldState.EXPIRED));
        assertThrows(IllegalArgumentException.class, () -> holds.setState(5L, 9));
        assertTrue(holds.remove(5L));
        assertFalse(holds.remove(5L));
        assertFalse(holds.get(5L, out));
        assertEquals(0, holds.size());
    }

    @Test
    void shouldRemoveOnlyAFinishedHoldWhenAskedToRemoveIfFinished() {
        holds.put(5L, sample());
        assertFalse(holds.removeIfFinished(5L), "an active hold stays");
        assertEquals(1, holds.activeCount());
        assertFalse(holds.removeIfFinished(6L), "no such hold");
        for (int finished : new int[] {HoldState.CONFIRMED, HoldState.CANCELLED, HoldState.EXPIRED}) {
            holds.put(5L, sample());
            assertTrue(holds.setState(5L, finished));
            assertTrue(holds.removeIfFinished(5L), "state " + finished);
            assertFalse(holds.get(5L, new HoldSnapshot()));
            assertEquals(0, holds.size());
            assertEquals(0, holds.activeCount());
        }
    }

    @Test
    void shouldExpireOnlyAnActiveHoldAndCopyIt() {
        StateOps ops = new StateOps();
        ops.recording(true);
        holds.ops = ops;
        HoldSnapshot out = new HoldSnapshot();
        assertFalse(holds.expireIfActive(6L, out), "no such hold");
        assertEquals(0, ops.length());
        holds.put(5L, sample());
        int before = ops.length();
        assertEquals(1, holds.activeCount());
        assertTrue(holds.expireIfActive(5L, out));
        assertTrue(ops.length() > before, "the expiry is recorded");
        assertEquals("borrower-1", out.borrowerId().toString(), "the hold as it was, copied");
        assertEquals(150_000, out.amountMinor());
        assertEquals(3, out.fundingCount());
        assertEquals(HoldState.ACTIVE, out.state());
        assertEquals(0, holds.activeCount());
        HoldSnapshot stored = new HoldSnapshot();
        assertTrue(holds.get(5L, stored));
        assertEquals(HoldState.EXPIRED, stored.state());
        assertEquals(150_000, stored.amountMinor(), "only the state changes");
        int after = ops.length();
        assertFalse(holds.expireIfActive(5L, out), "an expired hold is not expired again");
        assertEquals(HoldState.EXPIRED, out.state());
        assertEquals(after, ops.length());
        holds.put(7L, sample());
        assertTrue(holds.setState(7L, HoldState.CONFIRMED));
        assertFalse(holds.expireIfActive(7L, out), "a confirmed hold stays confirmed");
        assertTrue(holds.get(7L, stored));
        assertEquals(HoldState.CONFIRMED, stored.state());
    }

    @Test
    void shouldReplaceAnExistingHoldWholly() {
        holds.put(5L, sample());
        holds.put(5L, new HoldSnapshot().borrowerId("b-2").product(1).amountMinor(10).state(HoldState.CANCELLED)
                .addFunding(2, 10));
        HoldSnapshot out = new HoldSnapshot();
        assertTrue(holds.get(5L, out));
        assertEquals("b-2", out.borrowerId().toString());
        assertEquals(1, out.fundingCount());
        assertEquals(2, out.funderIndex(0));
        assertEquals(0, out.requestIdHash());
        assertEquals(HoldState.CANCELLED, out.state());
    }

    @Test
    void shouldVisitEveryHoldAndRefuseAFifthFunder() {
        holds.put(1L, sample());
        holds.put(2L, sample().amountMinor(7));
        Map<Long, Long> seen = new HashMap<>();
        holds.forEach((id, hold) -> seen.put(id, hold.amountMinor()));
        assertEquals(Map.of(1L, 150_000L, 2L, 7L), seen);
        HoldSnapshot full = sample().addFunding(4, 1);
        assertThrows(IllegalStateException.class, () -> full.addFunding(5, 1));
        assertEquals("EXPIRED", HoldState.name(HoldState.EXPIRED));
    }
}
