package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.risk.RiskContext;
import dev.formica.engine.state.ExposureRecord;
import dev.formica.engine.state.HoldSnapshot;
import dev.formica.engine.state.HoldState;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Product;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up reconciliation of {@link ShardProcessor#recover}: a held balance that differs from the sum of the
 * line's active holds is found and repaired, lines without holds keep held 0, the expiry queue it rebuilds
 * expires the holds in time order, and exposure records that differ from the holds, are missing or belong to no
 * line are repaired.
 */
class RecoveryReconcileTest {
    private static final long TTL = 900_000;
    private static final int CONSUMER = Product.CONSUMER_CREDIT_VALUE;

    @TempDir
    Path dir;

    @Test
    void shouldRepairAHeldBalanceAndRebuildTheExpiryQueueInTimeOrder() throws Exception {
        long now = PipelineFixture.START_MS;
        try (ShardState state = ShardState.open(dir, StateConfig.defaults().withSizes(1000, 1000, 1000), now);
                RiskContext risk = RiskContext.openDefaults(dir.resolve("risk"))) {
            ShardProcessor live = processor(state, risk);
            live.recover(now);
            openLines(state, now);
            List<Long> alice = new ArrayList<>();
            for (int k = 0; k < 3; k++) { // three holds of alice, 1 s apart: they expire 1 s apart
                DecisionResponse r = live.decide(PipelineFixture.decision("a" + k, "alice", 100_000 + k),
                        now + 1000L * k, 0);
                alice.add(HoldIds.parse(r.getHoldId()));
            }
            DecisionResponse bob = live.decide(PipelineFixture.decision("b0", "bob", 50_000), now + 500, 0);
            assertEquals(3 * 100_000 + 3, held("alice", state), "the live run kept held = its holds");
            // damage two lines: alice's held balance lost one hold, carol (no holds) holds something
            state.ledger().setHeld("alice", CONSUMER, 100_000, now + 3000);
            state.ledger().setHeld("carol", CONSUMER, 7, now + 3000);

            ShardProcessor started = processor(state, risk);
            RecoveryReport report = started.recover(now + 3000);

            assertEquals(2, report.heldMismatchesRepaired(), "alice's and carol's held balances");
            assertEquals(4, report.holdsActive());
            assertEquals(0, report.holdsFinished());
            assertEquals(3, report.ledgers());
            assertEquals(3 * 100_000 + 3, held("alice", state));
            assertEquals(0, held("carol", state));
            assertEquals(50_000, held("bob", state), "an untouched line stays as it was");

            // the queue: alice's first hold (expires at now + TTL), bob's (+ 500), alice's second (+ 1000) ...
            started.duty(now + TTL + 999);
            assertEquals(HoldState.EXPIRED, holdState(alice.get(0), state));
            assertEquals(HoldState.EXPIRED, holdState(HoldIds.parse(bob.getHoldId()), state));
            assertEquals(HoldState.ACTIVE, holdState(alice.get(1), state), "due at now + TTL + 1000");
            assertEquals(HoldState.ACTIVE, holdState(alice.get(2), state));
            assertEquals(100_001 + 100_002, held("alice", state));
            started.duty(now + TTL + 2000);
            assertEquals(HoldState.EXPIRED, holdState(alice.get(2), state));
            assertEquals(0, held("alice", state));

            ShardProcessor again = processor(state, risk);
            RecoveryReport second = again.recover(now + TTL + 2000);
            assertEquals(0, second.heldMismatchesRepaired(), "nothing left to repair");
            assertEquals(0, second.holdsActive());
            assertEquals(4, second.holdsFinished());
        }
    }

    @Test
    void shouldRepairExposureRecordsThatDifferAreMissingOrBelongToNoLine() throws Exception {
        long now = PipelineFixture.START_MS;
        try (ShardState state = ShardState.open(dir, StateConfig.defaults().withSizes(1000, 1000, 1000), now);
                RiskContext risk = RiskContext.openDefaults(dir.resolve("risk"))) {
            ShardProcessor live = processor(state, risk);
            live.recover(now);
            openLines(state, now);
            List<Long> alice = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                DecisionResponse r = live.decide(PipelineFixture.decision("a" + k, "alice", 100_000 + k), now, 0);
                alice.add(HoldIds.parse(r.getHoldId()));
            }
            long bob = HoldIds.parse(live.decide(PipelineFixture.decision("b0", "bob", 50_000), now, 0).getHoldId());
            ExposureRecord record = new ExposureRecord();
            assertTrue(state.exposures().read("alice", CONSUMER, record));
            assertEquals(3, record.count(), "the live run kept a record entry per hold");
            // damage: alice's record loses a hold and names one that does not exist; bob's record is gone; a record
            // for a line the ledger does not have (dave); carol (no exposure) has none and must get none
            record.remove(record.indexOfHold(alice.get(1)));
            record.add(424_242, "m", "i", 5);
            state.exposures().write("alice", CONSUMER, record);
            state.exposures().write("bob", CONSUMER, record.clear());
            ExposureRecord orphan = new ExposureRecord().region("r");
            orphan.add(77, "m", "i", 9);
            state.exposures().write("dave", CONSUMER, orphan);

            ShardProcessor started = processor(state, risk);
            RecoveryReport report = started.recover(now + 1000);

            assertEquals(3, report.exposureRecordsRepaired(), "alice's, bob's and dave's records");
            assertEquals(0, report.heldMismatchesRepaired());
            assertTrue(state.exposures().read("alice", CONSUMER, record));
            assertEquals(3, record.count());
            for (int k = 0; k < 3; k++) {
                assertEquals(100_000 + k, record.amount(record.indexOfHold(alice.get(k))));
            }
            assertEquals(-1, record.indexOfHold(424_242));
            assertTrue(state.exposures().read("bob", CONSUMER, record));
            assertEquals(1, record.count());
            assertEquals(50_000, record.amount(record.indexOfHold(bob)));
            assertFalse(state.exposures().read("dave", CONSUMER, record), "a record of no line is removed");
            assertFalse(state.exposures().read("carol", CONSUMER, record), "no exposure, no record");

            RecoveryReport second = processor(state, risk).recover(now + 2000);
            assertEquals(0, second.exposureRecordsRepaired(), "nothing left to repair");
        }
    }

    /** A shard's processor as the start-up makes it, on {@code state}. */
    private static ShardProcessor processor(ShardState state, RiskContext risk) {
        return new ShardProcessor(0, state, TTL, 86_400_000, "CNY", risk);
    }

    /** A consumer line of 1,000,000 for alice, bob and carol. */
    private static void openLines(ShardState state, long now) {
        for (String borrower : new String[] {"alice", "bob", "carol"}) {
            state.ledger().putLine(borrower, CONSUMER, 1_000_000, now);
        }
    }

    private static long held(String borrower, ShardState state) {
        LedgerSnapshot s = new LedgerSnapshot();
        assertTrue(state.ledger().get(borrower, CONSUMER, s));
        return s.heldMinor();
    }

    private static int holdState(long holdId, ShardState state) {
        HoldSnapshot h = new HoldSnapshot();
        assertTrue(state.holds().get(holdId, h));
        return h.state();
    }
}
