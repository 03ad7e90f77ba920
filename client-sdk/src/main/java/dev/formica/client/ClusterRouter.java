package dev.formica.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.PartitionMap;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The channels of a {@link FormicaClient} and the partition routes that pick one per call: a borrower's calls and
 * a hold's calls go to the owner of their partition. The routes start as the range assignment over the targets
 * and are updated by the refusing node's {@code GetPartitionMap} answer when a node redirects a call
 * (FAILED_PRECONDITION with an {@code ErrorInfo} of reason {@code PARTITION_NOT_OWNED}), keeping for each partition
 * the owner of the newest Raft term seen ({@link PartitionRoutes#merge}): a map from a node that knows less never
 * takes the routes back.
 *
 * <p>Thread-safe: routes are an immutable snapshot behind a volatile field; channels to nodes the routes name are
 * made once, on first use, and closed with the client.
 */
final class ClusterRouter {
    /** How many redirects one call follows before it fails with the last refusal. */
    static final int MAX_REDIRECTS = 3;
    static final String ERROR_DOMAIN = "formica.dev";
    static final String NOT_OWNER_REASON = "PARTITION_NOT_OWNED";
    static final Metadata.Key<String> OWNER_ADDRESS =
            Metadata.Key.of("formica-partition-owner", Metadata.ASCII_STRING_MARSHALLER);

    /** A refusal's partition and the owner's address. */
    record Redirect(int partition, String owner) {
    }

    /** The routes of one moment with a channel per node, for the streams (which route each message). */
    record Snapshot(ManagedChannel[] channels, PartitionRoutes routes) {
        int index(String borrowerId) {
            return routes.ownerOf(BorrowerRouter.partition(borrowerId));
        }
    }

    private final List<String> targets;
    private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    /** Makes a channel to an address a map names; null when the client was given one channel to use. */
    private final Function<String, ManagedChannel> factory;
    private volatile PartitionRoutes routes;
    /** Each shard port learnt ({@link #learnShardPorts}) and the target whose map named it. */
    private final ConcurrentHashMap<String, String> shardPortTargets = new ConcurrentHashMap<>();
    /** Which other node {@link #onUnavailable} asks next (turns, so a dead node is not asked every time). */
    private final java.util.concurrent.atomic.AtomicInteger unavailableTurns =
            new java.util.concurrent.atomic.AtomicInteger();
    /** Guarded by {@code channels}: once set, no channel is made (a redirect in flight at close uses the first). */
    private boolean closed;

    ClusterRouter(List<String> targets, ManagedChannel[] made, Function<String, ManagedChannel> factory) {
        this.targets = List.copyOf(targets);
        for (int i = 0; i < made.length; i++) {
            channels.put(targets.get(i), made[i]);
        }
        this.factory = factory;
        this.routes = PartitionRoutes.ranges(targets);
    }

    /** The first target: Echo, and hold ids that name no partition. */
    ManagedChannel first() {
        return channels.get(targets.get(0));
    }

    ManagedChannel forBorrower(String borrowerId) {
        return channel(routes.addressOf(BorrowerRouter.partition(borrowerId)));
    }

    ManagedChannel forHold(String holdId) {
        int partition = BorrowerRouter.holdPartition(holdId);
        return partition < 0 ? first() : channel(routes.addressOf(partition));
    }

    Snapshot snapshot() {
        PartitionRoutes r = routes;
        ManagedChannel[] byNode = new ManagedChannel[r.nodes().size()];
        for (int i = 0; i < byNode.length; i++) {
            byNode[i] = channel(r.nodes().get(i));
        }
        return new Snapshot(byNode, r);
    }

    /** The current routes (tests). */
    PartitionRoutes routes() {
        return routes;
    }

    /** Stops making channels and returns every channel made, to be shut down. */
    Collection<ManagedChannel> close() {
        synchronized (channels) {
            closed = true;
            return new ArrayList<>(channels.values());
        }
    }

    private ManagedChannel channel(String address) {
        ManagedChannel c = channels.get(address);
        if (c != null) {
            return c;
        }
        synchronized (channels) {
            return closed ? first() : channels.computeIfAbsent(address, factory);
        }
    }

    /** The redirect a refusal carries, or null when it is not one. */
    static Redirect redirectOf(Status status, Metadata trailers) {
        if (status.getCode() != Status.Code.FAILED_PRECONDITION || trailers == null) {
            return null;
        }
        com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
        if (details == null) {
            return null;
        }
        for (Any any : details.getDetailsList()) {
            if (!any.is(ErrorInfo.class)) {
                continue;
            }
            try {
                ErrorInfo info = any.unpack(ErrorInfo.class);
                if (ERROR_DOMAIN.equals(info.getDomain()) && NOT_OWNER_REASON.equals(info.getReason())) {
                    int partition = Integer.parseInt(info.getMetadataOrDefault("partition", "-1"));
                    String owner = info.getMetadataOrDefault("owner_address", "");
                    if (partition >= 0 && partition < BorrowerRouter.PARTITIONS && !owner.isEmpty()) {
                        return new Redirect(partition, owner);
                    }
                }
            } catch (InvalidProtocolBufferException | NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    /**
     * Learns from a redirect: asks the refusing node for its partition map and routes by it, and in any case sends
     * the refused partition to the owner the refusal named. Completes when the routes are updated (never
     * exceptionally); with a client given one channel, the routes stay as they are.
     */
    CompletableFuture<Void> onRedirect(Redirect redirect, Channel refusedBy, Deadline deadline) {
        if (factory == null) {
            return CompletableFuture.completedFuture(null);
        }
        return readMap(refusedBy, deadline, map -> learn(map, redirect));
    }

    /**
     * A node did not answer (UNAVAILABLE): with replication its partitions may have failed over to another node.
     * Asks the next other node it knows for its map and routes by it; completes when done (never exceptionally),
     * at once when no other node is known or the client was given one channel.
     */
    CompletableFuture<Void> onUnavailable(Channel failed, Deadline deadline) {
        String shardTarget = shardPortTargetOf(failed);
        if (shardTarget != null) {
            return onShardPortUnavailable(shardTarget, deadline);
        }
        List<String> nodes = routes.nodes();
        if (factory == null || nodes.size() < 2) {
            return CompletableFuture.completedFuture(null);
        }
        int start = Math.floorMod(unavailableTurns.getAndIncrement(), nodes.size());
        ManagedChannel other = null;
        for (int i = 0; i < nodes.size() && other == null; i++) {
            ManagedChannel c = channel(nodes.get((start + i) % nodes.size()));
            if (c != failed) {
                other = c;
            }
        }
        if (other == null) {
            return CompletableFuture.completedFuture(null);
        }
        return readMap(other, deadline, map -> {
            PartitionRoutes learned = map == null ? null : PartitionRoutes.of(map);
            if (learned != null) {
                synchronized (this) {
                    routes = routes.merge(learned); // never back to an owner of an older term
                }
            }
        });
    }

    /** Reads {@code node}'s map and hands it (null when the node gave none) to {@code then}; never fails. */
    private static CompletableFuture<Void> readMap(Channel node, Deadline deadline, Consumer<PartitionMap> then) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ClientCalls.asyncUnaryCall(node.newCall(DecisionServiceGrpc.getGetPartitionMapMethod(),
                CallOptions.DEFAULT.withDeadline(deadline)), GetPartitionMapRequest.getDefaultInstance(),
                new StreamObserver<PartitionMap>() {
                    private PartitionMap map;

                    @Override
                    public void onNext(PartitionMap value) {
                        map = value;
                    }

                    @Override
                    public void onError(Throwable t) {
                        then.accept(null);
                        done.complete(null);
                    }

                    @Override
                    public void onCompleted() {
                        then.accept(map);
                        done.complete(null);
                    }
                });
        return done;
    }

    /**
     * Asks every target for its partition map and sends the partitions a target serves on shard ports
     * ({@code shardMode: LOOP}) to those ports, so each call is read by the event loop that owns its shard. A target
     * that does not answer in time, or has no shard ports, keeps its partitions on its own address. Blocks until
     * every target answered or {@code deadline} passed.
     */
    void learnShardPorts(Deadline deadline) {
        if (factory == null) {
            return;
        }
        for (String target : targets) {
            int colon = target.lastIndexOf(':');
            if (target.contains(":/") || colon <= 0) {
                continue; // a name-resolver target: no single host to dial the ports on
            }
            readMap(channel(target), deadline, map -> learnPorts(target, map)).join();
        }
    }

    /** Routes {@code target}'s partitions to the shard ports {@code map} names (none: left as they are). */
    private synchronized void learnPorts(String target, PartitionMap map) {
        if (map == null) {
            return;
        }
        String host = target.substring(0, target.lastIndexOf(':'));
        PartitionRoutes learned = routes.withPartitionPorts(target, host, map);
        for (String address : learned.nodes()) {
            if (!routes.nodes().contains(address)) {
                shardPortTargets.put(address, target);
            }
        }
        routes = learned;
    }

    /** The target whose map named the shard port {@code failed} is a channel to; null for any other channel. */
    private String shardPortTargetOf(Channel failed) {
        if (factory == null || shardPortTargets.isEmpty()) {
            return null;
        }
        for (var e : channels.entrySet()) {
            if (e.getValue() == failed) {
                return shardPortTargets.get(e.getKey());
            }
        }
        return null;
    }

    /**
     * A shard port did not answer (the server restarted on other free ports, or is restarting): {@code target}'s
     * partitions go back to {@code target} itself, whose main port serves every partition, and to the shard ports
     * its map names now if it answers one. Completes when done, never exceptionally.
     */
    private CompletableFuture<Void> onShardPortUnavailable(String target, Deadline deadline) {
        synchronized (this) {
            routes = routes.backTo(target, shardPortTargets.entrySet().stream()
                    .filter(e -> e.getValue().equals(target)).map(java.util.Map.Entry::getKey)
                    .collect(java.util.stream.Collectors.toSet()));
        }
        return readMap(channel(target), deadline, map -> learnPorts(target, map));
    }

    private void learn(PartitionMap map, Redirect redirect) {
        PartitionRoutes learned = map == null ? null : PartitionRoutes.of(map);
        synchronized (this) {
            PartitionRoutes next = learned != null ? routes.merge(learned) : routes;
            if (!next.addressOf(redirect.partition()).equals(redirect.owner())) {
                next = next.withOwner(redirect.partition(), redirect.owner());
            }
            routes = next;
        }
    }
}
