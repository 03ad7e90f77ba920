package dev.formica.engine.pipeline;

import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.state.ShardState;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RepayResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.agrona.concurrent.CachedEpochClock;

/** A pipeline on a temp directory with a clock the test moves. */
final class PipelineFixture implements AutoCloseable {
    static final long START_MS = 1_780_000_000_000L;

    final Path dir;
    final CachedEpochClock clock;
    final EngineConfiguration.ShardMode mode;
    final boolean ledgerOnly;
    DecisionPipeline pipeline;

    PipelineFixture(Path dir, EngineConfiguration.ShardMode mode) {
        this(dir, mode, true);
    }

    /** With {@code ledgerOnly} false the pipeline runs the shipped default rule set and regulatory file. */
    PipelineFixture(Path dir, EngineConfiguration.ShardMode mode, boolean ledgerOnly) {
        this.dir = dir;
        this.mode = mode;
        this.ledgerOnly = ledgerOnly;
        this.clock = new CachedEpochClock();
        clock.update(START_MS);
        open();
    }

    PipelineFixture(Path dir) {
        this(dir, EngineConfiguration.ShardMode.DEDICATED);
    }

    EngineConfiguration config() {
        EngineConfiguration c = new EngineConfiguration().dataDir(dir).shards(2).holdTtl(Duration.ofMinutes(15))
                .expectedBorrowers(10_000).expectedDecisionsPerDay(100_000).shardMode(mode).queueCapacity(1024)
                .loopShedLag(Duration.ZERO); // LOOP: a busy test box holding a loop up sheds nothing here
        return ledgerOnly ? LedgerOnlyRules.apply(c) : c;
    }

    void open() {
        pipeline = DecisionPipeline.open(config(), clock);
    }

    void restart() {
        pipeline.close();
        open();
    }

    @Override
    public void close() {
        pipeline.close();
    }

    boolean upsert(String borrowerId, Product product, long lineMinor) {
        FutureSink<Boolean> sink = new FutureSink<>();
        pipeline.upsert(Profile.newBuilder().setBorrowerId(borrowerId).setRegion("CN-31")
                .addLines(ProductLine.newBuilder().setProduct(product).setLineMinor(lineMinor)).build(), sink, null);
        return sink.get();
    }

    static DecisionRequest decision(String requestId, String borrowerId, long amount) {
        return DecisionRequest.newBuilder().setRequestId(requestId).setBorrowerId(borrowerId)
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(amount).build();
    }

    FutureSink<DecisionResponse> decideAsync(String requestId, String borrowerId, long amount) {
        FutureSink<DecisionResponse> sink = new FutureSink<>();
        pipeline.decide(decision(requestId, borrowerId, amount), sink, System.nanoTime(), null);
        return sink;
    }

    DecisionResponse decide(String requestId, String borrowerId, long amount) {
        return decideAsync(requestId, borrowerId, amount).get();
    }

    FutureSink<ConfirmResponse> confirm(String requestId, String holdId) {
        FutureSink<ConfirmResponse> sink = new FutureSink<>();
        pipeline.confirm(ConfirmRequest.newBuilder().setRequestId(requestId).setHoldId(holdId).build(), sink, null);
        return sink;
    }

    FutureSink<CancelResponse> cancel(String requestId, String holdId) {
        FutureSink<CancelResponse> sink = new FutureSink<>();
        pipeline.cancel(CancelRequest.newBuilder().setRequestId(requestId).setHoldId(holdId).build(), sink, null);
        return sink;
    }

    FutureSink<RepayResponse> repay(String requestId, String borrowerId, long amount) {
        FutureSink<RepayResponse> sink = new FutureSink<>();
        pipeline.repay(RepayRequest.newBuilder().setRequestId(requestId).setBorrowerId(borrowerId)
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(amount).build(), sink, null);
        return sink;
    }

    CreditLine line(String borrowerId) {
        FutureSink<CreditLine> sink = new FutureSink<>();
        pipeline.creditLine(GetCreditLineRequest.newBuilder().setBorrowerId(borrowerId)
                .setProduct(Product.CONSUMER_CREDIT).build(), sink, null);
        return sink.get();
    }

    ShardState state(String borrowerId) {
        return pipeline.state(pipeline.shardOf(borrowerId));
    }

    /** A digest of every ledger and hold, to prove something changed nothing. */
    String digest() {
        return StateDigest.of(pipeline);
    }
}
