package dev.formica.loadtest;

import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.IoHandlerFactory;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The load tool's channels for one {@code loadtest} command, and with {@code --sender loop} the event loops they run
 * on: one single-threaded loop per sender lane, each with its own channels (one per shard port, or its share of
 * {@code --channels} to the target), built on that loop with a direct executor, so that a lane's sends, its answers
 * and its calls' deadlines are all handled on the one thread. With {@code --sender threads} the channels are as
 * before: gRPC's shared event loops, one list for all sender threads.
 *
 * <p>Thread contract: opened and closed by the command's thread; the lists are immutable.
 */
final class LoadChannels implements AutoCloseable {
    private final List<List<ManagedChannel>> channels;
    private final List<SenderLoop> loops;
    private final List<EventLoopGroup> groups;
    private final int[] partitionLanes;

    private LoadChannels(List<List<ManagedChannel>> channels, List<SenderLoop> loops, List<EventLoopGroup> groups,
            int[] partitionLanes) {
        this.channels = channels;
        this.loops = loops;
        this.groups = groups;
        this.partitionLanes = partitionLanes;
    }

    /**
     * Opens the channels to {@code target}: to its shard ports when {@code shardPorts} and its map names them, else
     * {@code count} to the target (with loops: {@code count / loops} on each loop, at least one).
     *
     * @param loops event loops of the loop sender; 0: the sender threads' channels
     */
    static LoadChannels open(String target, String host, boolean shardPorts, int count, int loops) {
        ShardChannels.Addresses shards = shardPorts ? ShardChannels.addresses(target, host) : null;
        List<String> addresses = new ArrayList<>();
        if (shards != null) {
            addresses.addAll(shards.addresses());
        } else {
            for (int i = 0; i < (loops == 0 ? count : Math.max(1, count / loops)); i++) {
                addresses.add(target);
            }
        }
        int[] lanes = shards == null ? null : shards.lanes();
        if (loops == 0) {
            List<ManagedChannel> list = new ArrayList<>();
            for (String address : addresses) {
                list.add(ShardChannels.channel(address));
            }
            return new LoadChannels(List.of(list), List.of(), List.of(), lanes);
        }
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        List<List<ManagedChannel>> perLoop = new ArrayList<>();
        List<SenderLoop> senderLoops = new ArrayList<>();
        List<EventLoopGroup> groups = new ArrayList<>();
        for (int k = 0; k < loops; k++) {
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, daemon("loadtest-loop-" + k), io);
            groups.add(group);
            senderLoops.add(new NettyLoop(group.next()));
            List<ManagedChannel> list = new ArrayList<>();
            for (String address : addresses) {
                list.add(NettyChannelBuilder.forTarget(address, InsecureChannelCredentials.create())
                        .eventLoopGroup(group).channelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                        .directExecutor().disableRetry().build());
            }
            perLoop.add(List.copyOf(list));
        }
        return new LoadChannels(List.copyOf(perLoop), List.copyOf(senderLoops), List.copyOf(groups), lanes);
    }

    /** The channels of each loop (one list for the sender threads), in the same order of addresses in each. */
    List<List<ManagedChannel>> channels() {
        return channels;
    }

    /** The loop sender's loops; empty for the sender threads. */
    List<SenderLoop> loops() {
        return loops;
    }

    /** The channel index of each partition (shard ports), or null: round-robin. */
    int[] partitionLanes() {
        return partitionLanes;
    }

    @Override
    public void close() throws InterruptedException {
        for (List<ManagedChannel> list : channels) {
            list.forEach(ManagedChannel::shutdownNow);
        }
        for (List<ManagedChannel> list : channels) {
            for (ManagedChannel c : list) {
                c.awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        for (EventLoopGroup g : groups) {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** A Netty event loop as a lane's loop. */
    private record NettyLoop(EventLoop loop) implements SenderLoop {
        @Override
        public boolean inLoop() {
            return loop.inEventLoop();
        }

        @Override
        public void execute(Runnable task) {
            loop.execute(task);
        }

        @Override
        public Timer schedule(Runnable task, long delayNanos) {
            ScheduledFuture<?> f = loop.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        }
    }
}
