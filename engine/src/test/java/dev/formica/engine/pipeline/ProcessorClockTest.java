package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.risk.RiskContext;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Product;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shard logic with time passed in by hand: no agent, no clock races. */
class ProcessorClockTest {
    @TempDir
    Path dir;

    @Test
    void shouldRefuseToConfirmAHoldWhoseTimeHasPassed() throws Exception {
        long now = PipelineFixture.START_MS;
        try (ShardState state = ShardState.open(dir, StateConfig.defaults().withSizes(1000, 1000, 1000), now);
                RiskContext risk = RiskContext.openDefaults(dir.resolve("risk"))) {
            ShardProcessor p = new ShardProcessor(0, state, 900_000, 86_400_000, "CNY", risk);
            p.recover(now);
            state.ledger().putLine("alice", Product.CONSUMER_CREDIT_VALUE, 500_000, now);
            DecisionResponse approved = p.decide(PipelineFixture.decision("r1", "alice", 200_000), now, 0);
            long holdId = HoldIds.parse(approved.getHoldId());
            Refused e = assertThrows(Refused.class, () -> p.run(Operation.CONFIRM,
                    ConfirmRequest.newBuilder().setRequestId("c1").setHoldId(approved.getHoldId()).build(), holdId,
                    now + 900_000, 0));
            assertEquals(DomainError.HOLD_EXPIRED, e.error());
        }
    }
}
