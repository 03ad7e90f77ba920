package dev.formica.engine.server;

import dev.formica.engine.errors.FieldViolations;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.replay.Backtester;
import dev.formica.engine.replay.Sandbox;
import dev.formica.engine.risk.RuleSetRegistry;
import dev.formica.engine.rules.RuleSetCompiler;
import dev.formica.v1.BacktestReport;
import dev.formica.v1.BacktestRequest;
import dev.formica.v1.ErrorReason;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code AdminService.Backtest}: validates the request on the caller's thread, then replays the journal of this
 * server's data directory under the candidate in a {@link Sandbox} on its own thread (a backtest takes seconds
 * and must not hold a Netty event loop). One backtest at a time; another is refused with RESOURCE_EXHAUSTED.
 * The live state is only read (profiles, rule sets, block lists, risk appetite).
 *
 * <p>Thread contract: {@link #backtest} from any thread; the work runs on one daemon thread owned here.
 */
final class BacktestService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BacktestService.class);
    static final int MAX_YAML_BYTES = 1 << 20;
    static final int DEFAULT_EXAMPLES = 10;
    /** RetryInfo of BACKTEST_RUNNING: a backtest takes seconds to minutes; ask again in a few seconds. */
    static final long BUSY_RETRY_DELAY_MS = 5_000;

    private final DecisionPipeline pipeline;
    private final Path dataDir;
    private final Path regulatoryFile;
    private final ExecutorService worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "formica-backtest");
                t.setDaemon(true);
                return t;
            });

    /**
     * @param pipeline       the live pipeline (profiles and rule sets are read from it)
     * @param dataDir        its data directory (journal, block lists, risk appetite)
     * @param regulatoryFile the regulatory file the server runs, or null for the shipped one
     */
    public BacktestService(DecisionPipeline pipeline, Path dataDir, Path regulatoryFile) {
        this.pipeline = pipeline;
        this.dataDir = dataDir;
        this.regulatoryFile = regulatoryFile;
    }

    /** Handles one {@code Backtest} call; replies on {@code out} from the backtest thread. */
    public void backtest(BacktestRequest request, StreamObserver<BacktestReport> out) {
        String yaml;
        try {
            yaml = candidate(request);
        } catch (IllegalArgumentException e) {
            out.onError(invalid(e.getMessage()));
            return;
        } catch (IllegalStateException e) {
            out.onError(Refusals.notFound(ErrorReason.RULE_SET_NOT_FOUND, e.getMessage()));
            return;
        }
        long from = request.getFromMs();
        long to = request.getToMs() == 0 ? Long.MAX_VALUE : request.getToMs();
        int examples = request.getMaxExamples() == 0 ? DEFAULT_EXAMPLES : request.getMaxExamples();
        try {
            worker.execute(() -> {
                try {
                    BacktestReport report = Backtester.run(dataDir, yaml, Sandbox.profilesOf(pipeline),
                            pipeline.shards(), new Backtester.Options(dataDir, regulatoryFile, from, to, examples));
                    out.onNext(report);
                    out.onCompleted();
                } catch (RuntimeException e) {
                    LOG.warn("backtest failed", e);
                    out.onError(Refusals.of(Status.Code.INTERNAL, ErrorReason.BACKTEST_FAILED,
                            "backtest failed: " + e.getMessage()));
                }
            });
        } catch (RejectedExecutionException e) {
            out.onError(Refusals.shed(ErrorReason.BACKTEST_RUNNING, "a backtest is already running; retry when it ends",
                    BUSY_RETRY_DELAY_MS));
        }
    }

    /**
     * INVALID_ARGUMENT for a {@code "field: rule"} text of {@link #candidate}; {@code "a, b: rule"} names two
     * fields, each a violation of its own.
     */
    private static io.grpc.StatusRuntimeException invalid(String violation) {
        int colon = violation.indexOf(": ");
        String fields = colon < 0 ? "request" : violation.substring(0, colon);
        String rule = colon < 0 ? violation : violation.substring(colon + 2);
        FieldViolations v = null;
        for (String field : fields.split(", ")) {
            v = FieldViolations.add(v, field + ": " + rule);
        }
        return Refusals.builder(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD, violation).violations(v)
                .build();
    }

    /** The candidate's YAML; IllegalArgumentException names the bad field, IllegalStateException = not found. */
    private String candidate(BacktestRequest r) {
        boolean hasYaml = !r.getRuleSetYaml().isEmpty();
        boolean hasVersion = !r.getVersion().isEmpty();
        if (hasYaml == hasVersion) {
            throw new IllegalArgumentException("rule_set_yaml, version: give exactly one of them");
        }
        if (r.getFromMs() < 0 || r.getToMs() < 0 || (r.getToMs() != 0 && r.getToMs() <= r.getFromMs())) {
            throw new IllegalArgumentException("to_ms: must be 0 (now) or after from_ms, and both >= 0");
        }
        if (r.getMaxExamples() < 0 || r.getMaxExamples() > 100) {
            throw new IllegalArgumentException("max_examples: must be 0..100");
        }
        RuleSetRegistry rules = pipeline.risk().rules();
        if (hasVersion) {
            return rules.list().stream().filter(p -> p.ruleSet().version().equals(r.getVersion())).findFirst()
                    .orElseThrow(() -> new IllegalStateException("version: '" + r.getVersion() + "' is not published"))
                    .ruleSet().yaml();
        }
        if (r.getRuleSetYaml().getBytes(StandardCharsets.UTF_8).length > MAX_YAML_BYTES) {
            throw new IllegalArgumentException("rule_set_yaml: larger than 1 MiB");
        }
        RuleSetCompiler.Outcome o = rules.compiler().compile(r.getRuleSetYaml());
        if (!o.valid()) {
            throw new IllegalArgumentException("rule_set_yaml: " + o.errors().get(0));
        }
        String version = o.ruleSet().version();
        rules.list().stream().filter(p -> p.ruleSet().version().equals(version)
                && !p.ruleSet().yaml().equals(r.getRuleSetYaml())).findFirst().ifPresent(p -> {
                    throw new IllegalArgumentException("rule_set_yaml: version '" + version
                            + "' is already published with other content; give the candidate a new version");
                });
        return r.getRuleSetYaml();
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
