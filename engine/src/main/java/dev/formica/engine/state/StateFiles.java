package dev.formica.engine.state;

import java.io.IOException;
import java.nio.file.Path;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/** File handling shared by the stores: owner-only permissions, create or recover. Called on open/close only. */
final class StateFiles {

    private StateFiles() {
    }

    /**
     * Creates a store's map in memory (the {@code file} and {@code recover} arguments are not used any more: the
     * shard log, not a map file, survives a crash).
     */
    static <K, V> ChronicleMap<K, V> open(ChronicleMapBuilder<K, V> builder, Path file, boolean recover)
            throws IOException {
        // Off-heap, in memory, never written back by the kernel: the shard log is the source of truth and
        // recovery rebuilds the maps from the newest snapshot and the log after it (docs/state-and-durability.md).
        return builder.create();
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
