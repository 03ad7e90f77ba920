package dev.formica.engine.state;

import java.io.IOException;
import java.nio.file.Path;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/** File handling shared by the stores: owner-only permissions, create or recover. Called on open/close only. */
public final class StateFiles {

    private StateFiles() {
    }

    /**
     * Creates a store's map in memory (the {@code file} and {@code recover} arguments are not used any more: the
     * shard log, not a map file, survives a crash). The map stays out of Chronicle's close-on-exit hook
     * ({@link #ownedByTheServer}).
     */
    static <K, V> ChronicleMap<K, V> open(ChronicleMapBuilder<K, V> builder, Path file, boolean recover)
            throws IOException {
        // Off-heap, in memory, never written back by the kernel: the shard log is the source of truth and
        // recovery rebuilds the maps from the newest snapshot and the log after it (docs/state-and-durability.md).
        return ownedByTheServer(builder).create();
    }

    /**
     * Keeps a map out of Chronicle Map's close-on-exit hook. That hook is a JVM shutdown hook of its own, so on
     * SIGTERM it closed every map while the server's hook was still draining calls and the shard loops still ran
     * their timers (hold expiries): {@code ChronicleHashClosedException} from the shards, and calls in the drain
     * refused. The server closes its maps itself, after the loops have stopped ({@code EngineServer.close}); an
     * in-memory map needs nothing at exit, and a file-backed one's pages are the kernel's either way.
     */
    public static <K, V> ChronicleMapBuilder<K, V> ownedByTheServer(ChronicleMapBuilder<K, V> builder) {
        return builder.skipCloseOnExitHook(true);
    }

    static void checkId(String name, CharSequence id) {
        if (id == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        int length = id.length();
        if (length == 0 || length > StateConfig.MAX_ID_CHARS) {
            throw new IllegalArgumentException(name + " must be 1.." + StateConfig.MAX_ID_CHARS
                    + " chars, was " + length);
        }
    }

    static void checkProduct(int product) {
        if (product < 1 || product > 3) {
            throw new IllegalArgumentException("product must be 1..3, was " + product);
        }
    }

    static void checkPayload(String name, byte[] payload) {
        checkPayload(name, payload, payload == null ? 0 : payload.length);
    }

    /** {@link #checkPayload(String, byte[])} of the first {@code length} bytes. */
    static void checkPayload(String name, byte[] payload, int length) {
        if (payload == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        if (length < 0 || length > payload.length || length > StateConfig.MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException(name + " must be <= " + StateConfig.MAX_PAYLOAD_BYTES
                    + " bytes, was " + length);
        }
    }
}
