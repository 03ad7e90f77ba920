package dev.formica.engine.server;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.metrics.RpcMetrics;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.server.tracing.Tracing;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.DiagnosticsServiceGrpc;
import dev.formica.v1.ProfileServiceGrpc;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC server: Netty transport with a direct executor, the formica.v1 services, standard health
 * and server reflection, Prometheus metrics, and graceful shutdown.
 *
 * <p>Thread contract: {@link #start()} and {@link #close()} are called by one controlling thread
 * (the CLI or a test); {@code close} may also run from the JVM shutdown hook on SIGTERM, and is
 * idempotent. Lifecycle: answer health checks with NOT_SERVING on the port ({@link #listenForHealth()}), open
 * state (recovery), bind every service on the same port, SERVING; on close NOT_SERVING, stop accepting, drain
 * in-flight calls within {@code drainTimeout}, then close state.
 */
public final class EngineServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineServer.class);
    /** Service names whose health is reported, besides the overall "" entry. */
    static final List<String> SERVICE_NAMES = List.of(
            DecisionServiceGrpc.SERVICE_NAME,
            ProfileServiceGrpc.SERVICE_NAME,
            AdminServiceGrpc.SERVICE_NAME,
            DiagnosticsServiceGrpc.SERVICE_NAME);

    private final EngineConfiguration config;
    private final List<ServerInterceptor> extraInterceptors;
    private final HealthStatusManager health = new HealthStatusManager();
    private final RpcMetrics metrics;
    private final EpochClock clock;
    private BacktestService backtests;
    private DecisionPipeline pipeline;
    /** Device, IP and merchant velocity between the nodes of a cluster without replication; null otherwise. */
    private VelocityExchange velocityExchange;
    private volatile Server server;
    /** The health service alone on the port while the warm-up and recovery run; null once the server is bound. */
    private volatile Server healthOnly;
    private EventLoopGroup bossGroup;
    private EventLoopGroup workerGroup;
    /** The shard ports' servers ({@code shardMode: LOOP}); empty otherwise. */
    private final List<Server> shardServers = new ArrayList<>();
    /** The {@code adminPort} listener (mutual TLS only); null when none is configured. */
    private volatile Server adminServer;
    /** {@code shardMode: LOOP}: stops a behind shard loop's reads of every port's connections; null otherwise. */
    private LoopReadGate readGate;
    /** Tells the partition map the shard ports. */
    private DecisionGrpcService decisions;
    private boolean closed;
    private AuthenticationInterceptor authentication;
    private AdmissionInterceptor admission;
    /** OpenTelemetry tracing; null when off (no interceptor, no span). */
    private Tracing tracing;

    public EngineServer(EngineConfiguration config) {
        this(config, List.of(), SystemEpochClock.INSTANCE);
    }

    public EngineServer(EngineConfiguration config, List<ServerInterceptor> extraInterceptors) {
        this(config, extraInterceptors, SystemEpochClock.INSTANCE);
    }

    /**
     * @param extraInterceptors interceptors run before the engine's own (outermost first); for tests
     *     and embedding
     * @param clock wall clock for hold expiry and idempotency windows (tests inject their own)
     */
    public EngineServer(EngineConfiguration config, List<ServerInterceptor> extraInterceptors, EpochClock clock) {
        this.config = config.conclude();
        this.clock = clock;
        this.extraInterceptors = List.copyOf(extraInterceptors);
        this.metrics = new RpcMetrics(this.config, clock);
        for (String name : SERVICE_NAMES) {
            health.setStatus(name, ServingStatus.NOT_SERVING);
        }
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
    }

    /**
     * Binds the configured address with the health service alone, every entry NOT_SERVING, so that a readiness
     * probe (Kubernetes' native gRPC probe, a load balancer) gets an answer rather than a refused connection while
     * the warm-up and the recovery run. {@link #start()} calls it first if the caller did not, and then replaces
     * this server by the full one on the same port. Idempotent.
     *
     * @throws UncheckedIOException when the port is taken
     */
    public synchronized EngineServer listenForHealth() {
        if (healthOnly != null || server != null) {
            return this;
        }
        InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
        Server s = (config.tls() ? tlsServer(address) : NettyServerBuilder.forAddress(address))
                .directExecutor()
                .withOption(ChannelOption.SO_REUSEADDR, true)
                .addService(health.getHealthService())
                .fallbackHandlerRegistry(StartingUp.REGISTRY) // UNAVAILABLE, retried, rather than UNIMPLEMENTED
                .build();
        try {
            s.start();
        } catch (IOException e) {
            throw cannotListen(e);
        }
        healthOnly = s;
        LOG.info("formica answers health checks (NOT_SERVING) on " + config.host() + ":" + s.getPort()
                + " until recovery is done");
        return this;
    }

    /** Opens state (recovery), binds the port and reports SERVING. */
    public synchronized EngineServer start() {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        // token files are read (and their permissions checked) before any state is opened
        authentication = AuthenticationInterceptor.from(config);
        admission = config.maxInFlightDecisions() > 0 ? new AdmissionInterceptor(slotLimit(config),
                config.shedRetryDelay().toMillis(), metrics.decisions().shed()) : null;
        if (tracing == null) {
            tracing = Tracing.fromConfiguration(config);
        }
        listenForHealth();
        try {
            dev.formica.engine.pipeline.ShardLoops loops = null;
            if (config.shardMode() == EngineConfiguration.ShardMode.LOOP) {
                // event loop k owns shard k: made before the pipeline, which runs its shards on them
                eventLoops(config.shards());
                readGate = new LoopReadGate(shardLoops());
                loops = dev.formica.engine.pipeline.ShardLoops.of(shardLoops(), readGate::reads);
            }
            pipeline = DecisionPipeline.open(config, clock, metrics.latency(),
                    dev.formica.engine.log.LogChannel.FILES, loops);
            velocityExchange = VelocityExchange.open(config, pipeline, clock::time);
            bind();
            metrics.decisions().bind(pipeline);
            OverloadGauges.register(metrics.registry(), admission, readGate, pipeline);
            if (velocityExchange != null) {
                velocityExchange.register(metrics.registry());
                velocityExchange.start();
            }
            metrics.latency().startSampler();
            metrics.startHttpServer(config.host(), config.metricsPort());
        } catch (RuntimeException e) {
            // e.g. the metrics port is taken: release the gRPC port and the event loops, and close the shards
            // cleanly (no crash marker left behind for the next start)
            close();
            throw e;
        }
        for (String name : SERVICE_NAMES) {
            health.setStatus(name, ServingStatus.SERVING);
        }
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        LOG.info("formica listening on " + config.host() + ":" + port() + " with " + config);
        return this;
    }

    private void bind() {
        // the port the health-only server holds (the one it was given, or the one it got for port 0)
        InetSocketAddress address = new InetSocketAddress(config.host(), healthOnly.getPort());
        // The server's own event loops (grpc's shared default otherwise), so that a shard can hand each
        // loop the answers to its calls in one task (DecisionPipeline.replyLoops). Epoll where Netty has it,
        // as grpc's default; as many loops as grpc's default (2 per core) unless eventLoopThreads says.
        if (workerGroup == null) {
            eventLoops(config.eventLoopThreads() > 0 ? config.eventLoopThreads()
                    : 2 * Runtime.getRuntime().availableProcessors());
        }
        NettyServerBuilder builder = builder(address).workerEventLoopGroup(workerGroup);
        EventLoopGroup workers = workerGroup;
        pipeline.replyLoops(() -> {
            for (EventExecutor loop : workers) {
                if (loop.inEventLoop()) {
                    return loop;
                }
            }
            return null;
        });
        List<ServerServiceDefinition> definitions = serviceDefinitions();
        definitions.forEach(builder::addService);
        server = builder.build();
        // hand the port over: probes see a refused connection for this moment only
        closeHealthListener();
        try {
            server.start();
        } catch (IOException e) {
            shutdownEventLoops();
            server = null;
            throw cannotListen(e);
        }
        if (config.shardMode() == EngineConfiguration.ShardMode.LOOP) {
            bindShardPorts(definitions);
        }
        if (config.adminPort() >= 0) {
            bindAdminPort(definitions);
        }
    }

    /**
     * {@code adminPort}: the same services on a second port that takes only mutual TLS (no handshake without a
     * client certificate signed by {@code adminTlsClientCa}), for admin from other machines while the main port
     * stays plaintext (docs/operations.md, "Admin from outside the pods").
     */
    private void bindAdminPort(List<ServerServiceDefinition> definitions) {
        InetSocketAddress address = new InetSocketAddress(config.host(), config.adminPort());
        NettyServerBuilder admin;
        try {
            admin = configure(NettyServerBuilder.forAddress(address, TlsServerCredentials.newBuilder()
                    .keyManager(config.adminTlsCertChain().toFile(), config.adminTlsPrivateKey().toFile())
                    .trustManager(config.adminTlsClientCa().toFile())
                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                    .build())).workerEventLoopGroup(workerGroup);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("configuration: cannot read the admin port's TLS files "
                    + "(adminTlsCertChain " + config.adminTlsCertChain() + ", adminTlsPrivateKey "
                    + config.adminTlsPrivateKey() + ", adminTlsClientCa " + config.adminTlsClientCa() + "): "
                    + e.getMessage() + "; they must be PEM, the key PKCS#8", e);
        }
        definitions.forEach(admin::addService);
        Server s = admin.build();
        try {
            s.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.adminPort()
                    + " for the admin port (" + e.getMessage() + "): choose another adminPort", e);
        }
        adminServer = s;
        LOG.info("admin port (mutual TLS only) on " + config.host() + ":" + s.getPort());
    }

    /** The bound {@code adminPort} listener's port, or -1 when there is none. */
    public int adminPort() {
        Server s = adminServer;
        return s == null ? -1 : s.getPort();
    }

    /**
     * {@code shardMode: LOOP}: a port per shard whose every connection is read by the shard's own event loop, so a
     * call sent there is read, decided and answered on one thread; the partition map names the ports.
     */
    private void bindShardPorts(List<ServerServiceDefinition> definitions) {
        List<io.grpc.netty.shaded.io.netty.channel.EventLoop> loops = shardLoops();
        int[] ports = new int[loops.size()];
        for (int k = 0; k < loops.size(); k++) {
            int port = config.shardPortBase() == 0 ? 0 : config.shardPortBase() + k;
            NettyServerBuilder shard = builder(new InetSocketAddress(config.host(), port))
                    .workerEventLoopGroup(loops.get(k)); // one loop: it is its own group
            definitions.forEach(shard::addService);
            Server s = shard.build();
            try {
                s.start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot listen on " + config.host() + ":" + port + " for shard " + k
                        + " (" + e.getMessage() + "): choose another shardPortBase", e);
            }
            shardServers.add(s);
            ports[k] = s.getPort();
        }
        int[] byPartition = new int[dev.formica.engine.cluster.Partitions.COUNT];
        for (int p = 0; p < byPartition.length; p++) {
            byPartition[p] = pipeline.partitions().owns(p) ? ports[pipeline.shardOfPartition(p)] : 0;
        }
        decisions.partitionPorts(byPartition);
        LOG.info("shard ports (shardMode LOOP, shard k on event loop k): " + java.util.Arrays.toString(ports));
    }

    /** {@code shardMode: LOOP}: what stops a shard loop's reads (tests); null otherwise. */
    LoopReadGate readGate() {
        return readGate;
    }

    /** The bound port of each shard's own port, index = shard ({@code shardMode: LOOP}); empty otherwise. */
    public int[] shardPorts() {
        return shardServers.stream().mapToInt(Server::getPort).toArray();
    }

    /** The worker loops in order: with {@code shardMode: LOOP} loop k owns shard k. */
    private List<io.grpc.netty.shaded.io.netty.channel.EventLoop> shardLoops() {
        List<io.grpc.netty.shaded.io.netty.channel.EventLoop> loops = new ArrayList<>();
        for (EventExecutor loop : workerGroup) {
            loops.add((io.grpc.netty.shaded.io.netty.channel.EventLoop) loop);
        }
        return loops;
    }

    /** The boss loop and {@code count} worker loops, epoll where Netty has it. */
    private void eventLoops(int count) {
        if (Epoll.isAvailable()) {
            bossGroup = new EpollEventLoopGroup(1);
            workerGroup = new EpollEventLoopGroup(count);
        } else {
            bossGroup = new NioEventLoopGroup(1);
            workerGroup = new NioEventLoopGroup(count);
        }
    }

    /** Every service with the engine's interceptors, health and reflection: the same on every port. */
    private List<ServerServiceDefinition> serviceDefinitions() {
        List<ServerServiceDefinition> all = new ArrayList<>();
        for (BindableService service : services()) {
            // Parsing outermost, so every interceptor still sees typed messages; authentication runs at
            // call start, before any message is parsed.
            all.add(ParseErrorsAsInvalidArgument.wrap(ServerInterceptors.intercept(service, interceptors())));
        }
        all.add(health.getHealthService().bindService());
        all.add(ProtoReflectionServiceV1.newInstance().bindService());
        all.add(reflectionV1Alpha().bindService());
        return all;
    }

    /** A server on {@code address} with the configured transport settings and the boss loop. */
    private NettyServerBuilder builder(InetSocketAddress address) {
        return configure(config.tls() ? tlsServer(address) : NettyServerBuilder.forAddress(address));
    }

    /** {@code base} with the configured transport settings and the boss loop. */
    private NettyServerBuilder configure(NettyServerBuilder base) {
        NettyServerBuilder builder = base
                .directExecutor()
                .withOption(ChannelOption.SO_REUSEADDR, true)
                .maxInboundMessageSize(config.maxInboundMessageBytes())
                .keepAliveTime(config.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveTimeout(config.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveTime(config.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveWithoutCalls(true)
                .channelType(Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .bossEventLoopGroup(bossGroup);
        // LOOP: the same sockets, each connection tagged so that its loop's reads can stop while the loop is behind,
        // and a fixed HTTP/2 window, so that what a client can send into a paused loop's socket is bounded
        return readGate == null ? builder : builder.channelFactory(readGate.serverChannels(Epoll.isAvailable()))
                .flowControlWindow(LoopReadGate.WINDOW_BYTES);
    }

    private UncheckedIOException cannotListen(IOException e) {
        return new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port()
                + " (" + e.getMessage() + "): choose another --port", e);
    }

    private void closeHealthListener() {
        if (healthOnly != null) {
            healthOnly.shutdownNow();
            try {
                healthOnly.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            healthOnly = null;
        }
    }

    private NettyServerBuilder tlsServer(InetSocketAddress address) {
        try {
            return NettyServerBuilder.forAddress(address, tlsCredentials());
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("configuration: cannot read the TLS files (tlsCertChain "
                    + config.tlsCertChain() + ", tlsPrivateKey " + config.tlsPrivateKey() + ", tlsClientCa "
                    + config.tlsClientCa() + "): " + e.getMessage() + "; they must be PEM, the key PKCS#8", e);
        }
    }

    private ServerCredentials tlsCredentials() throws IOException {
        TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder()
                .keyManager(config.tlsCertChain().toFile(), config.tlsPrivateKey().toFile());
        if (config.tlsClientCa() != null) {
            tls.trustManager(config.tlsClientCa().toFile());
            tls.clientAuth(config.clientAuth() == EngineConfiguration.ClientAuth.REQUIRE
                    ? TlsServerCredentials.ClientAuth.REQUIRE : TlsServerCredentials.ClientAuth.OPTIONAL);
        }
        return tls.build();
    }

    @SuppressWarnings("deprecation")
    private static BindableService reflectionV1Alpha() {
        // grpcurl and older tools still ask the v1alpha reflection service.
        return ProtoReflectionService.newInstance();
    }

    private List<BindableService> services() {
        backtests = new BacktestService(pipeline, config.dataDir(), config.regulatoryFile());
        decisions = new DecisionGrpcService(pipeline, tracing != null);
        List<BindableService> all = new ArrayList<>(List.of(decisions, new ProfileGrpcService(pipeline),
                new AdminGrpcService(pipeline.risk(), clock, metrics.latency(), backtests,
                        new GroupMoveService(pipeline, decisions::currentMap),
                        new GroupMembersService(pipeline, decisions::currentMap)),
                new DiagnosticsGrpcService()));
        if (velocityExchange != null) {
            all.add(velocityExchange);
        }
        return all;
    }

    private static SlotLimit slotLimit(EngineConfiguration config) {
        return config.admissionLimit() == EngineConfiguration.AdmissionLimit.ADAPTIVE
                ? SlotLimit.adaptive(config.maxInFlightDecisions(), config.admissionLimitMax(), System::nanoTime)
                : SlotLimit.fixed(config.maxInFlightDecisions());
    }

    private List<ServerInterceptor> interceptors() {
        // ServerInterceptors.intercept runs the last one first: put the outermost last.
        List<ServerInterceptor> all = new ArrayList<>();
        all.add(new AccessPolicyInterceptor(config.decisionAuthRequired(), config.clusterPeerAuthentication()));
        all.add(authentication);
        if (admission != null) {
            // outside authentication: refusing a call over the limit should cost as little as possible
            all.add(admission);
        }
        all.add(metrics.interceptor());
        List<ServerInterceptor> extra = new ArrayList<>(extraInterceptors);
        java.util.Collections.reverse(extra);
        all.addAll(extra);
        if (tracing != null) {
            // outermost: the span covers every refusal and the whole call
            all.add(tracing.interceptor());
        }
        return all;
    }

    /**
     * Traces through {@code tracing} instead of the one the configuration asks for (tests, embedding); before
     * {@link #start()}. The server closes it.
     */
    public synchronized EngineServer tracing(Tracing tracing) {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        this.tracing = tracing;
        return this;
    }

    /** The bound port (useful with port 0); before {@link #start()}, the port {@link #listenForHealth()} holds. */
    public int port() {
        Server s = server;
        if (s == null) {
            Server h = healthOnly;
            if (h != null) {
                return h.getPort();
            }
            throw new IllegalStateException("not started");
        }
        return s.getPort();
    }

    /** The bound metrics port, or -1 when the endpoint is off. */
    public int metricsPort() {
        return metrics.httpPort();
    }

    /** Metrics, latency histograms and the business gauges (rule-set version, partner quota, shadow). */
    public RpcMetrics metrics() {
        return metrics;
    }

    /** The pipeline behind the services (for embedding and tests); null before start. */
    public DecisionPipeline pipeline() {
        return pipeline;
    }

    public EngineConfiguration configuration() {
        return config;
    }

    /** Reports NOT_SERVING on every service so load balancers stop sending; keeps serving calls. */
    public void markDraining() {
        health.enterTerminalState();
    }

    /** Blocks until the server terminates (for {@code formica serve}). */
    public void awaitTermination() throws InterruptedException {
        Server s;
        synchronized (this) {
            s = server;
        }
        if (s != null) {
            s.awaitTermination();
        }
    }

    /**
     * Graceful stop: NOT_SERVING, stop accepting, let in-flight calls finish within the drain
     * timeout, cancel the rest, then close state. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        markDraining();
        closeHealthListener();
        // the shard ports and the admin port stop accepting with the main port, and their calls drain within the
        // same timeout
        List<Server> others = new ArrayList<>(shardServers);
        if (adminServer != null) {
            others.add(adminServer);
        }
        others.forEach(Server::shutdown);
        if (server != null) {
            server.shutdown();
            try {
                if (!server.awaitTermination(config.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("in-flight calls did not finish within " + config.drainTimeout() + "; cancelling them");
                    server.shutdownNow();
                    server.awaitTermination(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                server.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        for (Server s : others) {
            try {
                if (!s.awaitTermination(config.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                    s.shutdownNow();
                }
            } catch (InterruptedException e) {
                s.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        metrics.close();
        shutdownEventLoops();
        if (velocityExchange != null) {
            velocityExchange.close(); // no Decide runs any more: the tables it read can go
            velocityExchange = null;
        }
        if (backtests != null) {
            backtests.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        if (tracing != null) {
            tracing.close();
        }
        LOG.info("formica stopped");
    }

    private void shutdownEventLoops() {
        if (workerGroup != null) {
            workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            bossGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            workerGroup = null;
            bossGroup = null;
        }
    }
}
