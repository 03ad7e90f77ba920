package dev.formica.engine.risk;

import dev.formica.engine.files.Fsync;
import dev.formica.engine.files.OwnerOnly;
import dev.formica.engine.state.StateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/**
 * Block lists of borrowers, devices, IPs and merchants: engine-wide, because a device or a merchant spans
 * shards. Look-ups are O(1) in an on-heap concurrent set; every change is written through to a persisted
 * Chronicle Map so the lists survive a restart. Values are identifiers (personal data): they live only in
 * the data directory, never in logs.
 *
 * <p>Sizing: the file is sized from the entries it holds, with room to grow ({@link #capacityFor}: twice the
 * entries, at least {@value #MIN_ENTRIES}), not for the largest list allowed; a fresh data directory's file is
 * tens of kilobytes instead of the 56 MB of a map sized for {@value #MAX_ENTRIES} entries. A Chronicle Map
 * cannot grow past what it was created for, so the file is re-created: at every open (sized from what it
 * holds), and during a run when an update would pass the capacity (twice the entries needed). A re-creation
 * writes every entry to a new file beside the old one, syncs it and renames it over the old one, so a crash
 * leaves either the old or the new file, whole. {@value #MAX_ENTRIES} entries over the four lists is the limit.
 *
 * <p>Thread contract: any thread. Shard writers read; the admin service updates. An update is visible to
 * decisions that start after it returns. Updates and the re-creation are serialised on this object.
 */
public final class BlockLists implements AutoCloseable {
    /** The four lists, in the order of the API's {@code BlockListKind} values 1..4. */
    public enum Kind {
        BORROWER, DEVICE, IP, MERCHANT
    }

    /** The most entries, over the four lists. */
    static final int MAX_ENTRIES = 1_000_000;
    /** The fewest entries a file is sized for. */
    static final int MIN_ENTRIES = 1024;

    private final Path file;
    private ChronicleMap<CharSequence, Long> store;
    private long capacity;
    @SuppressWarnings("unchecked")
    private final Set<String>[] sets = new Set[Kind.values().length];

    private BlockLists(Path file) {
        this.file = file;
        for (int i = 0; i < sets.length; i++) {
            sets[i] = ConcurrentHashMap.newKeySet();
        }
    }

    /** Opens (or creates) the persisted lists in {@code file}, re-created at the size of what it holds. */
    public static BlockLists open(Path file) throws IOException {
        BlockLists lists = new BlockLists(file);
        if (Files.exists(file) && Files.size(file) > 0) {
            lists.store = builder(MIN_ENTRIES).createPersistedTo(file.toFile()); // opens with its own sizes
            StringBuilder key = new StringBuilder();
            lists.store.forEachEntry(e -> {
                CharSequence k = e.key().getUsing(key);
                int kind = k.charAt(0) - '0';
                if (kind >= 0 && kind < lists.sets.length) {
                    lists.sets[kind].add(k.subSequence(2, k.length()).toString());
                }
            });
        }
        try {
            lists.recreate(capacityFor(lists.total()));
        } catch (IOException | RuntimeException e) {
            lists.close();
            throw e;
        }
        return lists;
    }

    /** The entries a file holding {@code entries} is sized for: twice as many, at least {@link #MIN_ENTRIES}. */
    static long capacityFor(long entries) {
        return Math.min(MAX_ENTRIES, Math.max(MIN_ENTRIES, 2 * entries));
    }

    /** The entries the current file is sized for. */
    synchronized long capacity() {
        return capacity;
    }

    private static ChronicleMapBuilder<CharSequence, Long> builder(long entries) {
        return StateFiles.ownedByTheServer(ChronicleMap.of(CharSequence.class, Long.class)
                .name("formica-blocklists")
                .entries(entries)
                .averageKeySize(24));
    }

    /** Copies every entry to a new file of {@code entries} capacity and puts it in place of the old one. */
    private void recreate(long entries) throws IOException {
        Path next = file.resolveSibling(file.getFileName() + ".next");
        Files.deleteIfExists(next);
        OwnerOnly.file(next);
        try (ChronicleMap<CharSequence, Long> fresh = builder(entries).createPersistedTo(next.toFile())) {
            if (store != null) {
                store.forEachEntry(e -> fresh.put(e.key().get(), e.value().get()));
            }
        }
        if (store != null) {
            store.close();
            store = null;
        }
        Fsync.file(next);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Fsync.directory(parent);
        }
        store = builder(entries).createPersistedTo(file.toFile());
        capacity = entries;
    }

    private long total() {
        long n = 0;
        for (Set<String> set : sets) {
            n += set.size();
        }
        return n;
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
    public synchronized long[] update(Kind kind, Collection<String> add, Collection<String> remove, long nowMs) {
        long added = 0;
        long removed = 0;
        Set<String> set = sets[kind.ordinal()];
        long total = total();
        if (total + add.size() > MAX_ENTRIES) {
            long fresh = add.stream().distinct().filter(v -> !set.contains(v)).count();
            if (total + fresh > MAX_ENTRIES) {
                throw new IllegalStateException("block lists are full (" + MAX_ENTRIES + " entries)");
            }
        }
        if (total + add.size() > capacity) {
            try {
                recreate(capacityFor(total + add.size()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot grow the block lists' file", e);
            }
        }
        for (String v : add) {
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
    public synchronized void close() {
        if (store != null) {
            store.close();
            store = null;
        }
    }
}
