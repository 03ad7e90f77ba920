package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.v1.BacktestReport;
import dev.formica.v1.BacktestRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BacktestServiceTest {
    @TempDir
    Path dir;

    static final class Reply implements StreamObserver<BacktestReport> {
        final CompletableFuture<BacktestReport> done = new CompletableFuture<>();

        @Override
        public void onNext(BacktestReport value) {
            done.complete(value);
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
        }

        Status status() throws InterruptedException, java.util.concurrent.TimeoutException {
            try {
                done.get(60, TimeUnit.SECONDS);
                return Status.OK;
            } catch (ExecutionException e) {
                return ((StatusRuntimeException) e.getCause()).getStatus();
            }
        }
    }

    @Test
    void shouldValidateTheCandidateAndRunOnAnEmptyJournal() throws Exception {
        CachedEpochClock clock = new CachedEpochClock();
        clock.update(1_780_000_000_000L);
        try (DecisionPipeline live = DecisionPipeline.open(new EngineConfiguration().dataDir(dir).shards(1)
                .expectedBorrowers(1000).expectedDecisionsPerDay(1000).velocityKeys(1024), clock);
                BacktestService service = new BacktestService(live, dir, null)) {
            Reply both = new Reply();
            service.backtest(BacktestRequest.newBuilder().setVersion("x").setRuleSetYaml("y").build(), both);
            Status s = both.status();
            assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
            assertTrue(s.getDescription().startsWith("rule_set_yaml, version"), s.getDescription());

            Reply bad = new Reply();
            service.backtest(BacktestRequest.newBuilder().setRuleSetYaml("version: [").build(), bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, bad.status().getCode());
            assertTrue(bad.status().getDescription().startsWith("rule_set_yaml: "));

            Reply unknown = new Reply();
            service.backtest(BacktestRequest.newBuilder().setVersion("nope").build(), unknown);
            assertEquals(Status.Code.NOT_FOUND, unknown.status().getCode());

            Reply clash = new Reply();
            service.backtest(BacktestRequest.newBuilder().setRuleSetYaml(DefaultRuleSet.yaml()
                    .replace("description: ", "description: changed ")).build(), clash);
            assertEquals(Status.Code.INVALID_ARGUMENT, clash.status().getCode(), "same version, other content");

            Reply ok = new Reply();
            service.backtest(BacktestRequest.newBuilder().setVersion("default-2026.11.1").build(), ok);
            assertEquals(Status.Code.OK, ok.status().getCode());
            BacktestReport report = ok.done.get();
            assertEquals(0, report.getDecisions());
            assertEquals("default-2026.11.1", report.getCandidateVersion());
        }
    }
}
