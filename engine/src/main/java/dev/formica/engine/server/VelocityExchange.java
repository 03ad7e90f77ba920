package dev.formica.engine.server;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.state.VelocityShares;
import dev.formica.engine.state.VelocityWindows;
import dev.formica.v1.ExchangeVelocityRequest;
import dev.formica.v1.ExchangeVelocityResponse;
import dev.formica.v1.VelocityExchangeServiceGrpc;
import dev.formica.v1.VelocityKeyWords;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The velocity exchange of a cluster without replication (docs/cluster.md, "Velocity across nodes"): the
 * {@code VelocityExchangeService} every node answers, and one periodic task per other node that calls it. The
 * counting itself is {@link VelocityShares}; this is its wire.
 *
 * <p>The calls go as the node's clients come: over TLS when the node serves TLS (the peers' server certificates
 * checked against {@code clusterPeerCa}, else {@code tlsClientCa}, else the JVM's trust store), with the node's own
 * certificate as client certificate where mutual TLS is on, and with the node token of {@code clusterPeerTokenFile}
 * when there is one; the service answers only the peer role once the nodes have credentials
 * ({@link AccessPolicyInterceptor}).
 *
 * <p>Thread contract: the tasks run on the exchange's own scheduler (one thread per other node, so a node that does
 * not answer delays only its own task, by the call's deadline); the service on the gRPC event loops.
 */
final class VelocityExchange extends VelocityExchangeServiceGrpc.VelocityExchangeServiceImplBase
        implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VelocityExchange.class);
    /** How long one exchange may take before it counts as failed (its keys go again with the next). */
    static final long DEADLINE_MS = 1_000;

    private final VelocityShares shares;
    private final VelocityWindows windows;
    private final LongSupplier clock;
    private final long startedMs;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final ScheduledExecutorService scheduler;
    /** Per peer, the status of its last failed exchange while it keeps failing (logged once); null when it works. */
    private final Status.Code[] failing;

    private VelocityExchange(VelocityShares shares, VelocityWindows windows, List<String> nodes,
            ChannelCredentials credentials, Metadata headers, LongSupplier clock) {
        this.shares = shares;
        this.windows = windows;
        this.clock = clock;
        this.startedMs = clock.getAsLong();
        this.failing = new Status.Code[nodes.size()];
        this.scheduler = Executors.newScheduledThreadPool(Math.max(1, nodes.size() - 1), r -> {
            Thread t = new Thread(r, "formica-velocity-exchange");
            t.setDaemon(true);
            return t;
        });
        for (int node = 0; node < nodes.size(); node++) {
            if (node == shares.self()) {
                channels.add(null);
                continue;
            }
            NettyChannelBuilder channel = NettyChannelBuilder.forTarget(nodes.get(node), credentials);
            if (headers != null) {
                channel.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
            }
            channels.add(channel.build());
        }
    }

    /**
     * The exchange of a node of a cluster without replication, attached to the pipeline's velocity table, its tasks
     * not yet started ({@link #start}); null otherwise. The start-up log says which transport and who may call it.
     */
    static VelocityExchange open(EngineConfiguration config, DecisionPipeline pipeline, LongSupplier clock) {
        List<String> nodes = config.clusterNodes();
        if (nodes.size() < 2 || config.clusterReplication() == EngineConfiguration.Replication.RATIS) {
            return null; // one node counts everything; replicated nodes count every hosted group's frames
        }
        ChannelCredentials credentials = credentials(config);
        Metadata headers = null;
        if (config.clusterPeerTokenFile() != null) {
            headers = new Metadata();
            headers.put(AuthenticationInterceptor.AUTHORIZATION,
                    "Bearer " + BearerTokens.first("clusterPeerTokenFile", config.clusterPeerTokenFile()));
        }
        VelocityShares shares;
        try {
            shares = new VelocityShares(pipeline.velocity(), config.velocityKeys(), nodes.size(),
                    config.clusterNodeId(), pipeline.partitions()::ownerOf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the velocity exchange's tables", e);
        }
        pipeline.velocity().shares(shares);
        LOG.info("device, IP and merchant velocity: each key is counted at the node that owns its partition and"
                + " exchanged with the other " + (nodes.size() - 1) + " node(s) every " + VelocityShares.INTERVAL_MS
                + " ms; a Decide reads this node's count at once and the others' as of the last exchange"
                + " (formica_velocity_exchange_age_seconds; docs/cluster.md, \"Velocity across nodes\"). "
                + mode(config));
        return new VelocityExchange(shares, pipeline.velocity(), nodes, credentials, headers, clock);
    }

    /** The calls' transport: TLS when the node serves TLS, with its own certificate where mutual TLS is on. */
    private static ChannelCredentials credentials(EngineConfiguration config) {
        if (!config.tls()) {
            return InsecureChannelCredentials.create();
        }
        Path ca = peerCa(config);
        try {
            TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
            if (ca != null) {
                tls.trustManager(ca.toFile());
            }
            if (config.tlsClientCa() != null) {
                tls.keyManager(config.tlsCertChain().toFile(), config.tlsPrivateKey().toFile());
            }
            return tls.build();
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("configuration: cannot read the velocity exchange's TLS files"
                    + " (clusterPeerCa or tlsClientCa " + ca + ", tlsCertChain " + config.tlsCertChain()
                    + ", tlsPrivateKey " + config.tlsPrivateKey() + "): " + e.getMessage()
                    + "; they must be PEM, the key PKCS#8", e);
        }
    }

    /** The CA of the peers' server certificates: {@code clusterPeerCa}, else {@code tlsClientCa}; null = the JVM's. */
    private static Path peerCa(EngineConfiguration config) {
        return config.clusterPeerCa() != null ? config.clusterPeerCa() : config.tlsClientCa();
    }

    /** What the start-up log says of the exchange's transport and of who may call it (never a secret). */
    static String mode(EngineConfiguration config) {
        String transport;
        if (!config.tls()) {
            transport = "The exchange speaks plaintext";
        } else {
            Path ca = peerCa(config);
            transport = "The exchange speaks TLS, the peers' server certificates checked against "
                    + (config.clusterPeerCa() != null ? "clusterPeerCa " + ca
                    : ca != null ? "tlsClientCa " + ca : "the JVM's default trust store (no clusterPeerCa)")
                    + (config.tlsClientCa() != null ? ", this node's certificate presented as its client certificate"
                    : "");
        }
        if (config.clusterPeerTokenFile() != null) {
            transport += ", with the node token of clusterPeerTokenFile";
        }
        if (config.clusterPeerAuthentication()) {
            return transport + "; it answers only the cluster's nodes ("
                    + (config.clusterPeerSubjects().isEmpty() ? "" : "clusterPeerSubjects")
                    + (config.clusterPeerSubjects().isEmpty() || config.clusterPeerTokenFile() == null ? "" : " or ")
                    + (config.clusterPeerTokenFile() == null ? "" : "clusterPeerTokenFile") + ").";
        }
        return transport + "; it answers any caller that reaches this port, as Decide does (no clusterPeerSubjects"
                + " or clusterPeerTokenFile: a caller could raise a key's counts, never lower them).";
    }

    /** Starts one periodic exchange per other node. */
    void start() {
        for (int node = 0; node < channels.size(); node++) {
            if (channels.get(node) != null) {
                int peer = node;
                scheduler.scheduleWithFixedDelay(() -> exchangeWith(peer), 0, VelocityShares.INTERVAL_MS,
                        TimeUnit.MILLISECONDS);
            }
        }
    }

    VelocityShares shares() {
        return shares;
    }

    /** One exchange with {@code peer}: this node's counts of its keys out, its totals of them back. */
    void exchangeWith(int peer) {
        long askedMs = clock.getAsLong();
        boolean scan = shares.scanning(peer);
        VelocityShares.Batch batch = shares.outgoing(peer);
        boolean complete = shares.complete(peer);
        ExchangeVelocityRequest.Builder request = ExchangeVelocityRequest.newBuilder()
                .setFromNode(shares.self())
                .setSeenEpoch(shares.seenEpoch(peer))
                .setCursor(shares.cursor(peer))
                .setScanSlot(shares.scanSlot(peer))
                .setComplete(complete);
        for (int i = 0; i < batch.size(); i++) {
            request.addCounts(words(batch.hash(i), batch.words(i)));
        }
        ExchangeVelocityResponse response;
        try {
            response = VelocityExchangeServiceGrpc.newBlockingStub(channels.get(peer))
                    .withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
                    .exchangeVelocity(request.build());
        } catch (StatusRuntimeException e) {
            shares.undelivered(peer, batch, scan);
            failed(peer, e.getStatus());
            return; // the age gauge says how far behind; the next round tries again
        } catch (IllegalStateException e) {
            shares.undelivered(peer, batch, scan);
            return; // the channel is shut down: the exchange is closing
        } catch (RuntimeException e) {
            shares.undelivered(peer, batch, scan);
            LOG.warn("velocity exchange with node " + peer + " failed: " + e);
            return;
        }
        if (failing[peer] != null) {
            failing[peer] = null;
            LOG.info("velocity exchange with node " + peer + " works again");
        }
        VelocityShares.Batch others = new VelocityShares.Batch();
        long[] words = new long[VelocityWindows.SLOT_WORDS];
        for (VelocityKeyWords key : response.getOthersList()) {
            if (!read(key, words)) {
                LOG.warn("velocity exchange: node " + peer + " answered a malformed key; its answer is dropped");
                shares.undelivered(peer, batch, scan);
                return;
            }
            others.add(key.getHash(), words);
        }
        shares.accept(peer, new VelocityShares.Reply(response.getEpoch(), response.getCursor(),
                response.getScanSlot(), response.getCaughtUp(), others), complete, askedMs, clock.getAsLong());
    }

    /**
     * Logs a peer's failure once while it lasts (a refusal of this node's credentials, a handshake that fails, a
     * node down): the age gauge counts it by the second, the log says why. The status's text is the peer's or the
     * transport's, never a key.
     */
    private void failed(int peer, Status status) {
        if (failing[peer] != status.getCode() && !scheduler.isShutdown()) { // a call cancelled by close() is no news
            failing[peer] = status.getCode();
            LOG.warn("velocity exchange with node " + peer + " fails: " + status.getCode() + " "
                    + status.getDescription() + " (formica_velocity_exchange_age_seconds{peer=\"" + peer
                    + "\"} grows; logged again when it works or fails otherwise)");
        }
    }

    @Override
    public void exchangeVelocity(ExchangeVelocityRequest request, StreamObserver<ExchangeVelocityResponse> reply) {
        int from = request.getFromNode();
        if (from >= shares.nodes() || from == shares.self()) {
            reply.onError(Status.INVALID_ARGUMENT.withDescription("from_node: " + from + " is not another node of "
                    + shares.nodes()).asRuntimeException());
            return;
        }
        if (request.getScanSlot() < VelocityShares.NO_SCAN) {
            reply.onError(Status.INVALID_ARGUMENT.withDescription("scan_slot: must be -1 or a slot, was "
                    + request.getScanSlot()).asRuntimeException());
            return;
        }
        VelocityShares.Batch counts = new VelocityShares.Batch();
        long[] words = new long[VelocityWindows.SLOT_WORDS];
        for (VelocityKeyWords key : request.getCountsList()) {
            if (!read(key, words)) {
                reply.onError(Status.INVALID_ARGUMENT.withDescription("counts: index and word must pair up, each"
                        + " index below " + VelocityWindows.SLOT_WORDS).asRuntimeException());
                return;
            }
            counts.add(key.getHash(), words);
        }
        VelocityShares.Reply r = shares.exchange(from, request.getSeenEpoch(), request.getCursor(),
                request.getScanSlot(), request.getComplete(), counts, clock.getAsLong());
        ExchangeVelocityResponse.Builder out = ExchangeVelocityResponse.newBuilder()
                .setEpoch(r.epoch()).setCursor(r.cursor()).setScanSlot(r.scanSlot()).setCaughtUp(r.caughtUp());
        for (int i = 0; i < r.others().size(); i++) {
            out.addOthers(words(r.others().hash(i), r.others().words(i)));
        }
        reply.onNext(out.build());
        reply.onCompleted();
    }

    private static VelocityKeyWords words(long hash, long[] words) {
        VelocityKeyWords.Builder b = VelocityKeyWords.newBuilder().setHash(hash);
        for (int i = 0; i < VelocityWindows.SLOT_WORDS; i++) {
            if (words[i] != 0) {
                b.addIndex(i).addWord(words[i]);
            }
        }
        return b.build();
    }

    private static boolean read(VelocityKeyWords key, long[] words) {
        if (key.getIndexCount() != key.getWordCount() || key.getHash() == 0) {
            return false;
        }
        java.util.Arrays.fill(words, 0L);
        for (int i = 0; i < key.getIndexCount(); i++) {
            int index = key.getIndex(i);
            if (index < 0 || index >= VelocityWindows.SLOT_WORDS) {
                return false;
            }
            words[index] = key.getWord(i);
        }
        return true;
    }

    /** The gauges: per other node, the age of the last complete exchange and the keys not yet sent. */
    void register(PrometheusRegistry registry) {
        GaugeWithCallback.builder()
                .name("formica_velocity_exchange_age_seconds")
                .help("Seconds since this node and the peer last had each other's device, IP and merchant counts"
                        + " complete (since start when never): what a velocity feature may miss is what other nodes"
                        + " counted in this time")
                .labelNames("peer")
                .callback(cb -> {
                    long now = clock.getAsLong();
                    for (int peer = 0; peer < shares.nodes(); peer++) {
                        if (peer != shares.self()) {
                            long synced = shares.syncedMs(peer);
                            cb.call((now - (synced == 0 ? startedMs : synced)) / 1000.0, Integer.toString(peer));
                        }
                    }
                })
                .register(registry);
        GaugeWithCallback.builder()
                .name("formica_velocity_exchange_pending_keys")
                .help("Device, IP and merchant keys counted here, owned by the peer, not yet sent to it")
                .labelNames("peer")
                .callback(cb -> {
                    for (int peer = 0; peer < shares.nodes(); peer++) {
                        if (peer != shares.self()) {
                            cb.call(shares.pendingKeys(peer), Integer.toString(peer));
                        }
                    }
                })
                .register(registry);
        CounterWithCallback.builder()
                .name("formica_velocity_exchange_overflows")
                .help("Keys the decision path could not queue for the exchange (each made a scan of every key)")
                .callback(cb -> cb.call(shares.overflows()))
                .register(registry);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(DEADLINE_MS * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ManagedChannel channel : channels) {
            if (channel != null) {
                channel.shutdownNow();
            }
        }
        windows.shares(null);
        shares.close();
    }
}
