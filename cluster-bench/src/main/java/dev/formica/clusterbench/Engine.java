package dev.formica.clusterbench;

import java.nio.file.Path;

/**
 * One consensus engine as the harness drives it: three replicas, each a separate JVM running {@link #runNode}, and a
 * writer that appends an entry and returns once the engine has committed it (a majority holds it and the leader
 * applied it). Everything on 127.0.0.1, on the ports of {@link Ports}.
 */
interface Engine {

    /** Runs replica {@code id} (0, 1 or 2) with its files under {@code dir}; returns only when the process ends. */
    void runNode(int id, Path dir) throws Exception;

    /** A writer connected to the three replicas; {@code dir} is the run's directory (for a client's own files). */
    Writer connect(Path dir) throws Exception;

    /** Appends entries one at a time; not thread-safe. */
    interface Writer extends AutoCloseable {

        /** Appends {@code entry} and returns once it is committed; throws when the engine refused it. */
        void commit(byte[] entry) throws Exception;

        /** The replica (0, 1 or 2) that currently leads, as the client last learnt it. */
        int leader() throws Exception;

        @Override
        void close();
    }

    static Engine named(String name) {
        return switch (name) {
            case "aeron" -> new AeronEngine();
            case "ratis" -> new RatisEngine(true);
            case "ratis-nosync" -> new RatisEngine(false);
            case "kafka" -> new KafkaEngine(false);
            case "kafka-txn" -> new KafkaEngine(true);
            default -> throw new IllegalArgumentException(
                "engine: aeron, ratis, ratis-nosync, kafka or kafka-txn, not " + name);
        };
    }
}
