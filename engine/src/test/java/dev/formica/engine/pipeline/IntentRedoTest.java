package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.state.HoldSnapshot;
import dev.formica.engine.state.HoldState;
import dev.formica.engine.risk.RiskEngine;
import dev.formica.engine.state.IntentLog;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A crash between the writes of one mutation is completed at start-up, exactly once. */
class IntentRedoTest {
    private static final long NOW = PipelineFixture.START_MS;
    private static final int P = Product.CONSUMER_CREDIT_VALUE;

    @TempDir
    Path dir;
    ShardState state;
    IntentLog intent;
    RiskEngine risk;

    @BeforeEach
    void open() throws Exception {
        state = ShardState.open(dir.resolve("shard-0"), StateConfig.defaults().withSizes(1000, 1000, 1000), NOW);
        intent = IntentLog.open(dir.resolve("shard-0").resolve("intent.log"));
        risk = RiskEngine.openDefaults(dir.resolve("risk"));
        state.ledger().putLine("alice", P, 500_000, NOW);
    }

    @AfterEach
    void close() throws Exception {
        intent.close();
        state.close();
        risk.close();
    }

    private ShardProcessor processor() {
        return new ShardProcessor(0, state, intent, 900_000, 86_400_000, "CNY", null, risk);
    }

    private long beginDecide(long holdId, long amount) {
        LedgerSnapshot before = new LedgerSnapshot();
        state.ledger().get("alice", P, before);
        byte[] payload = DecisionResponse.newBuilder().setRequestId("r1").setOutcome(Outcome.APPROVE)
                .setHoldId(HoldIds.format(holdId)).setApprovedAmountMinor(amount).build().toByteArray();
        intent.begin(ShardProcessor.OP_DECIDE).ledger("alice", P, before.version(), amount, 0)
                .hold(holdId, HoldState.ACTIVE, amount, NOW, NOW + 900_000, 42)
                .record("r1", ShardProcessor.KIND_DECIDE, NOW, payload).commit();
        return before.version();
    }

    @Test
    void shouldCompleteADecideInterruptedAfterItsIntent() {
        long holdId = HoldIds.compose(0, 7);
        beginDecide(holdId, 120_000);
        // crash: nothing else written
        RecoveryReport report = processor().recover(NOW + 1);
        assertTrue(report.redoneIntent());
        assertFalse(intent.pending());
        assertTrue(state.decisions().contains("r1"));
        HoldSnapshot hold = new HoldSnapshot();
        assertTrue(state.holds().get(holdId, hold));
        assertEquals(HoldState.ACTIVE, hold.state());
        assertEquals(120_000, hold.amountMinor());
        LedgerSnapshot after = new LedgerSnapshot();
        state.ledger().get("alice", P, after);
        assertEquals(120_000, after.heldMinor());
        assertEquals(0, report.heldMismatchesRepaired());
    }

    @Test
    void shouldNotApplyTheLedgerTwiceWhenTheCrashCameAfterIt() {
        long holdId = HoldIds.compose(0, 8);
        beginDecide(holdId, 50_000);
        state.decisions().put("r1", ShardProcessor.KIND_DECIDE, NOW, new byte[0]);
        state.holds().put(holdId, new HoldSnapshot().borrowerId("alice").product(P).amountMinor(50_000)
                .createdMs(NOW).expiresMs(NOW + 900_000).state(HoldState.ACTIVE));
        state.ledger().apply("alice", P, 50_000, 0, NOW);
        // crash: only the intent was not cleared
        processor().recover(NOW + 1);
        LedgerSnapshot after = new LedgerSnapshot();
        state.ledger().get("alice", P, after);
        assertEquals(50_000, after.heldMinor());
    }

    @Test
    void shouldCompleteAConfirmSoDrawnIsNotLost() {
        long holdId = HoldIds.compose(0, 9);
        beginDecide(holdId, 70_000);
        ShardProcessor p = processor();
        p.recover(NOW);
        LedgerSnapshot before = new LedgerSnapshot();
        state.ledger().get("alice", P, before);
        intent.begin(ShardProcessor.OP_CONFIRM).ledger("alice", P, before.version(), -70_000, 70_000)
                .hold(holdId, HoldState.CONFIRMED, 70_000, NOW, NOW + 900_000, 42)
                .record("c1", ShardProcessor.KIND_CONFIRM, NOW, new byte[] {1}).commit();
        state.decisions().put("c1", ShardProcessor.KIND_CONFIRM, NOW, new byte[] {1});
        state.holds().setState(holdId, HoldState.CONFIRMED);
        // crash before the ledger moved held to drawn
        processor().recover(NOW + 2);
        LedgerSnapshot after = new LedgerSnapshot();
        state.ledger().get("alice", P, after);
        assertEquals(0, after.heldMinor());
        assertEquals(70_000, after.drawnMinor());
    }

    @Test
    void shouldRepairAndReportHeldThatDisagreesWithTheHolds() {
        state.ledger().apply("alice", P, 999, 0, NOW);
        RecoveryReport report = processor().recover(NOW);
        assertEquals(1, report.heldMismatchesRepaired());
        LedgerSnapshot after = new LedgerSnapshot();
        state.ledger().get("alice", P, after);
        assertEquals(0, after.heldMinor());
    }
}
