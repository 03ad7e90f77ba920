package dev.formica.engine.server;

import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelFactory;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code shardMode: LOOP} overload: stops and resumes reading every connection an event loop reads (Netty
 * {@code autoRead}), for the shard that owns the loop ({@link dev.formica.engine.pipeline.ShardLoops#reads}). While a
 * loop's reads are off, the kernel's socket buffers and then the clients' HTTP/2 and TCP flow control hold what the
 * clients send; nothing is read, so nothing is parsed or refused by the loop, and nothing already read is dropped
 * (Netty finishes decoding what it has read; those calls are answered as usual).
 *
 * <p>The server sockets of every port (main and shard ports) are made by {@link #serverChannels}, whose first
 * handler tags each accepted connection; the tag files the connection under its event loop once registered, turns
 * its reads off if that loop is paused, and removes it when it closes.
 *
 * <p>Thread contract: a loop's set of connections is changed and switched on that loop's thread only (registration,
 * close and {@link #reads} all run there); the map of sets is concurrent.
 */
final class LoopReadGate {
    /**
     * The HTTP/2 flow-control window of the LOOP ports' connections (fixed: no BDP auto-tuning up to megabytes): at
     * most this much a client sends before the loop has read it, about 300 Decides, some 50 ms of one loop's work
     * on the 2-core test VM. It bounds how old the calls are that a resumed loop finds in its sockets.
     */
    static final int WINDOW_BYTES = 64 * 1024;
    private final List<EventLoop> loops;
    private final Map<EventLoop, Set<Channel>> channels = new ConcurrentHashMap<>();
    private final Set<EventLoop> paused = ConcurrentHashMap.newKeySet();
    /** Times a loop's reads were stopped (racy count, for tests and diagnostics). */
    private volatile long pauses;
    /** Nanoseconds each loop's reads were stopped in its ended pauses (index = shard; written on that loop only). */
    private final AtomicLongArray pausedNanos;
    /** When each loop's current pause began (index = shard; written on that loop only, read by a scrape). */
    private final AtomicLongArray pausedSince;

    /** @param loops the shard loops, index = shard */
    LoopReadGate(List<EventLoop> loops) {
        this.loops = List.copyOf(loops);
        this.pausedNanos = new AtomicLongArray(loops.size());
        this.pausedSince = new AtomicLongArray(loops.size());
    }

    /** Server sockets (epoll or NIO) whose accepted connections this gate switches. */
    ChannelFactory<ServerChannel> serverChannels(boolean epoll) {
        return () -> {
            ServerChannel server = epoll ? new EpollServerSocketChannel() : new NioServerSocketChannel();
            server.pipeline().addFirst(new Acceptor());
            return server;
        };
    }

    /** Stops ({@code on = false}) or resumes reading every connection of {@code shard}'s loop; on that loop. */
    void reads(int shard, boolean on) {
        EventLoop loop = loops.get(shard);
        if (on) {
            if (paused.remove(loop)) {
                pausedNanos.lazySet(shard, pausedNanos.get(shard) + System.nanoTime() - pausedSince.get(shard));
            }
        } else if (paused.add(loop)) {
            pausedSince.set(shard, System.nanoTime());
            pauses++;
        }
        for (Channel channel : connections(loop)) {
            channel.config().setAutoRead(on);
        }
    }

    /** Times a loop's reads were stopped so far. */
    long pauses() {
        return pauses;
    }

    /**
     * Seconds the loops' reads have been stopped so far, summed over the loops (the span still open counted up to
     * now): how long calls waited unread in the clients' flow control because their loop was behind. Any thread.
     */
    double pausedSeconds() {
        long now = System.nanoTime();
        long sum = 0;
        for (int k = 0; k < loops.size(); k++) {
            sum += pausedNanos.get(k);
            if (paused.contains(loops.get(k))) {
                sum += Math.max(0, now - pausedSince.get(k));
            }
        }
        return sum / 1e9;
    }

    /** Loops whose reads are stopped now. */
    int pausedLoops() {
        return paused.size();
    }

    /** The event loop that owns {@code shard}. */
    EventLoop loop(int shard) {
        return loops.get(shard);
    }

    /** Whether {@code shard}'s loop reads its connections (tests). */
    boolean reading(int shard) {
        return !paused.contains(loops.get(shard));
    }

    /** The open connections {@code shard}'s loop reads; call on that loop (tests). */
    List<Channel> connections(int shard) {
        return List.copyOf(connections(loops.get(shard)));
    }

    private Set<Channel> connections(EventLoop loop) {
        return channels.computeIfAbsent(loop, l -> new HashSet<>());
    }

    /** The server socket's first handler: tags every accepted connection before grpc sets it up. */
    private final class Acceptor extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel child) {
                child.pipeline().addFirst(new Tag());
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** Files a connection under its loop while it is registered there. */
    private final class Tag extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRegistered(ChannelHandlerContext ctx) {
            EventLoop loop = ctx.channel().eventLoop();
            connections(loop).add(ctx.channel());
            if (paused.contains(loop)) {
                ctx.channel().config().setAutoRead(false);
            }
            ctx.fireChannelRegistered();
        }

        @Override
        public void channelUnregistered(ChannelHandlerContext ctx) {
            connections(ctx.channel().eventLoop()).remove(ctx.channel());
            ctx.fireChannelUnregistered();
        }
    }
}
