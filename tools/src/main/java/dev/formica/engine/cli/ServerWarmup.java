package dev.formica.engine.cli;

import com.google.protobuf.ByteString;
import dev.formica.client.FormicaClient;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.server.EngineServer;
import dev.formica.loadtest.RequestFactory;
import dev.formica.loadtest.SampleBorrowers;
import dev.formica.loadtest.ZipfSampler;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * Compiles the serving path before a server takes traffic. On 2 cores the JIT compiler keeps 30-60 % of a
 * core busy for about the first 35 s of Decide load (docs/perf-notes/2026-11-28-jit-warm-up-and-the-vm-floor.md),
 * and the shards wait behind it: the first minute after a (re)start has the worst tail of the day. This runs a
 * scratch server with the same engine settings on a temporary data directory, on loopback and without TLS or
 * authentication, drives Decide, Confirm, Cancel and Echo calls through the client SDK over real gRPC, stops it,
 * deletes the directory, and waits until the compiler has caught up. The real data directory is never touched; the
 * TLS and authentication code paths stay cold.
 */
final class ServerWarmup {
    private static final int IN_FLIGHT = 16;
    private static final long COMPILER_QUIET_POLL_MS = 500;
    /** The compiler counts as quiet when it compiled for less than this in one poll period. */
    private static final long COMPILER_QUIET_COMPILE_MS = 50;
    private static final long COMPILER_WAIT_LIMIT_MS = 30_000;

    /** What a warm-up did. */
    record Result(long decisions, long errors, long confirmsAndCancels, long millis, long compilerWaitMillis) {
    }

    private ServerWarmup() {
    }

    /**
     * @param settings the engine settings to warm up with; its data directory, address and security are replaced
     * @param decisions Decide calls to send (a tenth of the approvals are then confirmed or cancelled)
     * @param borrowers sample borrowers to load first
     */
    static Result run(EngineConfiguration settings, long decisions, int borrowers) throws IOException,
            InterruptedException {
        long start = System.nanoTime();
        Path scratch = Files.createTempDirectory("formica-warmup-");   // rwx------ on POSIX
        LongAdder errors = new LongAdder();
        LongAdder followUps = new LongAdder();
        // the mode the real server will run: a replicated node leaves the default LOOP for DEDICATED (conclude),
        // and its scratch server below is not replicated, so it is told
        EngineConfiguration.ShardMode mode = settings.clusterReplication() != EngineConfiguration.Replication.OFF
                && settings.shardMode() == EngineConfiguration.ShardMode.LOOP
                ? EngineConfiguration.ShardMode.DEDICATED : settings.shardMode();
        try {
            EngineConfiguration config = settings.shardMode(mode).shardPortBase(0) // not the real server's ports
                    .host("127.0.0.1").port(0).dataDir(scratch).metricsPort(-1)
                    .tlsCertChain(null).tlsPrivateKey(null).tlsClientCa(null)
                    .clientAuth(EngineConfiguration.ClientAuth.NONE).adminSubjects(List.of())
                    .adminTokenFile(null).decisionAuthRequired(false).callerSubjects(List.of())
                    .callerTokenFile(null)
                    // one node owning every partition: a cluster's scratch server must not redirect to real nodes,
                    // nor join (or bind the port of) the real nodes' Raft groups
                    .clusterNodes(List.of()).clusterNodeId(0)
                    .clusterReplication(EngineConfiguration.Replication.OFF).clusterRaftNodes(List.of())
                    // the scratch server's decisions are no one's calls: no spans
                    .tracing(false).conclude();
            try (EngineServer server = new EngineServer(config).start();
                    FormicaClient client = FormicaClient.builder().target("127.0.0.1:" + server.port())
                            .defaultDeadline(Duration.ofSeconds(10)).build()) {
                client.loadProfiles(new SampleBorrowers(borrowers, 7));
                RequestFactory requests = new RequestFactory("warmup", 7, new ZipfSampler(borrowers, 1.0), 0.01,
                        null);
                Semaphore window = new Semaphore(IN_FLIGHT);
                for (long i = 0; i < decisions; i++) {
                    window.acquire();
                    if (i % 100 == 0) {
                        client.echo(ByteString.EMPTY);
                    }
                    long index = i;
                    client.decideAsync(requests.decision(i)).whenComplete((r, e) -> {
                        if (e != null) {
                            errors.increment();
                            window.release();
                        } else if (r.getOutcome() == Outcome.APPROVE && index % 10 == 0) {
                            followUps.increment();
                            followUp(client, requests.requestId(index), r, index).whenComplete((x, f) -> {
                                if (f != null) {
                                    errors.increment();
                                }
                                window.release();
                            });
                        } else {
                            window.release();
                        }
                    });
                }
                window.acquire(IN_FLIGHT);
            }
        } finally {
            DemoCommand.deleteRecursively(scratch);
        }
        long waited = awaitCompilerQuiet();
        return new Result(decisions, errors.sum(), followUps.sum(), (System.nanoTime() - start) / 1_000_000,
                waited);
    }

    private static CompletableFuture<?> followUp(FormicaClient client, String decideId,
            DecisionResponse approved, long index) {
        if (index % 20 == 0) {
            return client.confirmAsync(ConfirmRequest.newBuilder().setRequestId(decideId + "-c")
                    .setHoldId(approved.getHoldId()).build());
        }
        return client.cancelAsync(CancelRequest.newBuilder().setRequestId(decideId + "-x")
                .setHoldId(approved.getHoldId()).build());
    }

    /** Waits (at most 30 s) until the JIT's total compilation time stops growing; returns the wait in ms. */
    private static long awaitCompilerQuiet() throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return 0;
        }
        long start = System.nanoTime();
        long before = jit.getTotalCompilationTime();
        while ((System.nanoTime() - start) / 1_000_000 < COMPILER_WAIT_LIMIT_MS) {
            Thread.sleep(COMPILER_QUIET_POLL_MS);   // polling a JVM counter, not synchronising threads
            long now = jit.getTotalCompilationTime();
            if (now - before < COMPILER_QUIET_COMPILE_MS) {
                break;
            }
            before = now;
        }
        return (System.nanoTime() - start) / 1_000_000;
    }
}
