package dev.formica.engine.risk;

import dev.formica.engine.files.OwnerOnly;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * Block lists of borrowers, devices, IPs and merchants: engine-wide, because a device or a merchant spans
 * shards. Look-ups are O(1) in an on-heap concurrent set; every change is written through to a persisted
 * Chronicle Map so the lists survive a restart. Values are identifiers (personal data): they live only in
 * the data directory, never in logs.
 *
 * <p>Thread contract: any thread. Shard writers read; the admin service updates. An update is visible to
 * decisions that start after it returns.
 */
public final class BlockLists implements AutoCloseable {
    /** The four lists, in the order of the API's {@code BlockListKind} values 1..4. */
    public enum Kind {
        BORROWER, DEVICE, IP, MERCHANT
    }

    private static final int MAX_ENTRIES = 1_000_000;

    private final ChronicleMap<CharSequence, Long> store;
    @SuppressWarnings("unchecked")
    private final Set<String>[] sets = new Set[Kind.values().length];

    private BlockLists(ChronicleMap<CharSequence, Long> store) {
        this.store = store;
        for (int i = 0; i < sets.length; i++) {
            sets[i] = ConcurrentHashMap.newKeySet();
        }
        StringBuilder key = new StringBuilder();
        store.forEachEntry(e -> {
            CharSequence k = e.key().getUsing(key);
            int kind = k.charAt(0) - '0';
            if (kind >= 0 && kind < sets.length) {
                sets[kind].add(k.subSequence(2, k.length()).toString());
            }
        });
    }

    /** Opens (or creates) the persisted lists in {@code file}. */
    public static BlockLists open(Path file) throws IOException {
        OwnerOnly.file(file);
        ChronicleMap<CharSequence, Long> map = ChronicleMap.of(CharSequence.class, Long.class)
                .name("formica-blocklists")
                .entries(MAX_ENTRIES)
                .averageKeySize(24)
                .createPersistedTo(file.toFile());
        return new BlockLists(map);
    }

    public boolean contains(Kind kind, CharSequence value) {
        if (value == null || value.length() == 0) {
            return false;
        }
        Set<String> set = sets[kind.ordinal()];
        if (set.isEmpty()) {
            return false;
        }
        return set.contains(value instanceof String s ? s : value.toString());
    }

    /** Adds and removes entries; returns {added, removed}. */
    public long[] update(Kind kind, Collection<String> add, Collection<String> remove, long nowMs) {
        long added = 0;
        long removed = 0;
        Set<String> set = sets[kind.ordinal()];
        for (String v : add) {
            if (set.size() >= MAX_ENTRIES && !set.contains(v)) {
                throw new IllegalStateException("block list " + kind + " is full (" + MAX_ENTRIES + " entries)");
            }
            store.put(key(kind, v), nowMs);
            if (set.add(v)) {
                added++;
            }
        }
        for (String v : remove) {
            store.remove(key(kind, v));
            if (set.remove(v)) {
                removed++;
            }
        }
        return new long[] {added, removed};
    }

    public int size(Kind kind) {
        return sets[kind.ordinal()].size();
    }

    private static String key(Kind kind, String value) {
        return kind.ordinal() + ":" + value;
    }

    @Override
    public void close() {
        store.close();
    }
}
