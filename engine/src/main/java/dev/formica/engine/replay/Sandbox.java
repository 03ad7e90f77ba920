package dev.formica.engine.replay;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.pipeline.Sink;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Profile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.agrona.concurrent.CachedEpochClock;

/**
 * A throw-away decision pipeline in a temporary directory, for backtests and stress tests: the published rule
 * sets, block lists and risk appetite copied from a data directory, the borrowers' profiles and lines loaded
 * from a snapshot, no holds, no drawn balances, empty velocity windows, full funding quotas and no journal. The
 * live data directory is only ever read. Decisions run one at a time on a clock the caller sets to each
 * replayed decision's time.
 *
 * <p>Thread contract: one thread drives a sandbox; {@link #close} deletes its directory.
 */
public final class Sandbox implements AutoCloseable {
    /** Files of a data directory the sandbox copies (engine-wide policy, not borrower state). */
    static final List<String> POLICY_FILES = List.of("blocklists.dat", "risk-appetite.properties");

    private final Path dir;
    private final CachedEpochClock clock = new CachedEpochClock();
    private final DecisionPipeline pipeline;

    private Sandbox(Path dir, EngineConfiguration config, long startMs) {
        this.dir = dir;
        clock.update(startMs);
        this.pipeline = DecisionPipeline.open(config, clock);
    }

    /**
     * Opens a sandbox.
     *
     * @param policySource a data directory whose rule sets, block lists and risk appetite are copied; null = none
     * @param rulesYaml    a rule set to publish and activate; null = the one active in {@code policySource}
     * @param regulatory   the regulatory parameter file; null = the shipped one
     * @param profiles     borrowers to load (their lines become the sandbox's lines)
     * @param transform    applied to each profile before loading (stress shocks); identity when none
     * @param startMs      the clock at start
     */
    public static Sandbox open(Path policySource, String rulesYaml, Path regulatory, List<Profile> profiles,
            UnaryOperator<Profile> transform, int shards, long startMs) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("formica-sandbox-");
            Path data = Files.createDirectories(dir.resolve("data"));
            if (policySource != null) {
                copyTree(policySource.resolve("rules"), data.resolve("rules"));
                for (String f : POLICY_FILES) {
                    if (Files.isRegularFile(policySource.resolve(f))) {
                        Files.copy(policySource.resolve(f), data.resolve(f));
                    }
                }
            }
            EngineConfiguration config = new EngineConfiguration().dataDir(data).shards(shards)
                    .journalEnabled(false).expectedBorrowers(Math.max(1000, profiles.size()))
                    .expectedDecisionsPerDay(100_000).regulatoryFile(regulatory)
                    .velocityKeys(1 << 16)
                    // no server and no event loops here: the backtest submits from its own thread, and a shard
                    // thread that never sheds is what an offline replay wants (LOOP, the server default, sheds)
                    .shardMode(EngineConfiguration.ShardMode.DEDICATED);
            if (rulesYaml != null) {
                Path rules = dir.resolve("candidate-rules.yaml");
                Files.writeString(rules, rulesYaml, StandardCharsets.UTF_8);
                config.rulesFile(rules);
            }
            Sandbox sandbox = new Sandbox(dir, config, startMs);
            try {
                for (Profile p : profiles) {
                    sandbox.upsert(transform.apply(p));
                }
            } catch (RuntimeException e) {
                sandbox.close();
                throw e;
            }
            return sandbox;
        } catch (IOException e) {
            deleteQuietly(dir);
            throw new UncheckedIOException("cannot create a sandbox: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(dir);
            throw e;
        }
    }

    /** The sandbox's pipeline (its risk engine: appetite, rule sets). */
    public DecisionPipeline pipeline() {
        return pipeline;
    }

    /** Decides {@code request} as if at {@code nowMs} (the clock never moves backwards). */
    public DecisionResponse decide(DecisionRequest request, long nowMs) {
        if (nowMs > clock.time()) {
            clock.update(nowMs);
        }
        return await(sink -> pipeline.decide(request, sink, System.nanoTime(), null));
    }

    /** Makes a published version active when it is published here and not active yet; false if unknown. */
    public boolean activateIfPublished(String version) {
        var rules = pipeline.risk().rules();
        if (rules.active().version().equals(version)) {
            return true;
        }
        if (rules.list().stream().noneMatch(p -> p.ruleSet().version().equals(version))) {
            return false;
        }
        rules.activate(version);
        return true;
    }

    private void upsert(Profile p) {
        Sandbox.<Boolean>await(sink -> pipeline.upsert(p, sink, null));
    }

    private interface Call<T> {
        void submit(Sink<T> sink);
    }

    private static <T> T await(Call<T> call) {
        CompletableFuture<T> done = new CompletableFuture<>();
        call.submit(new Sink<>() {
            @Override
            public void onResult(T result) {
                done.complete(result);
            }

            @Override
            public void onError(Refused error) {
                done.completeExceptionally(error);
            }
        });
        try {
            return done.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the sandbox did not answer within 30 s", e);
        }
    }

    @Override
    public void close() {
        try {
            pipeline.close();
        } finally {
            deleteQuietly(dir);
        }
    }

    // ---- snapshots of borrowers -------------------------------------------------------------------------

    /** Every profile of a running pipeline (reads only; safe beside its writers). */
    public static List<Profile> profilesOf(DecisionPipeline live) {
        List<Profile> out = new ArrayList<>();
        for (int k = 0; k < live.shards(); k++) {
            live.state(k).profiles().forEach((id, bytes) -> out.add(parse(bytes)));
        }
        return out;
    }

    /**
     * Every profile of a data directory, running or not: the newest version of each, read from the shard logs, or on
     * a replicated node from its groups' Raft logs ({@link AuditTrail#logs}; a profile whose last upsert was purged
     * behind a group snapshot is not among them). Read-only: a frame being written by a running server ends the
     * read of that log, nothing is changed.
     */
    public static List<Profile> profilesOf(Path dataDir) {
        java.util.Map<String, byte[]> latest = new java.util.LinkedHashMap<>();
        dev.formica.engine.state.StateOps.Replayer reader = new dev.formica.engine.state.StateOps.Replayer()
                .onProfile(latest::put);
        for (dev.formica.engine.log.FrameLog log : AuditTrail.logs(dataDir)) {
            try {
                log.read(0, (at, timeMs, payload, offset, length) -> {
                    reader.apply(null, null, true, payload, offset, length, timeMs);
                    return true;
                });
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read profiles of " + dataDir + ": " + e.getMessage(), e);
            }
        }
        List<Profile> out = new ArrayList<>(latest.size());
        latest.values().forEach(bytes -> out.add(parse(bytes)));
        return out;
    }

    /** The shard count a data directory was created with. */
    public static int shardsOf(Path dataDir) {
        Path file = dataDir.resolve("formica.properties");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dataDir + " is not a Formica data directory (no formica.properties)");
        }
        Properties p = new Properties();
        try (var in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Integer.parseInt(p.getProperty("shards", "1"));
    }

    private static Profile parse(byte[] bytes) {
        try {
            return Profile.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored profile unreadable", e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            return;
        }
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().endsWith(".tmp")) {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temporary directory
        }
    }
}
