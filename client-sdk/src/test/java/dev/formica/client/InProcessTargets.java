package dev.formica.client;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * In-process servers standing in for engine targets, plus the channels the client makes to them.
 * Not thread-safe: set up and torn down by the test thread.
 */
final class InProcessTargets implements AutoCloseable {
    private final Map<String, String> serverNames = new HashMap<>();
    private final List<Server> servers = new ArrayList<>();
    /** Channels handed to clients through {@link #channelFor}, to check their shutdown. */
    final List<ManagedChannel> channels = new ArrayList<>();

    /** Starts a server for {@code target} running its handlers on the transport thread. */
    InProcessTargets add(String target, BindableService... services) {
        return add(target, null, services);
    }

    /** Starts a server for {@code target}; handlers run on {@code executor}, or directly if null. */
    InProcessTargets add(String target, Executor executor, BindableService... services) {
        String name = InProcessServerBuilder.generateName();
        InProcessServerBuilder builder = InProcessServerBuilder.forName(name);
        if (executor == null) {
            builder.directExecutor();
        } else {
            builder.executor(executor);
        }
        for (BindableService service : services) {
            builder.addService(service);
        }
        try {
            servers.add(builder.build().start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        serverNames.put(target, name);
        return this;
    }

    /** The channel factory for {@link FormicaClient.Builder#channelFactory}. */
    ManagedChannel channelFor(String target) {
        String name = serverNames.get(target);
        if (name == null) {
            throw new IllegalArgumentException("no in-process server for " + target);
        }
        ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        channels.add(channel);
        return channel;
    }

    @Override
    public void close() {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow();
        }
        for (Server server : servers) {
            server.shutdownNow();
        }
        try {
            for (Server server : servers) {
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
