package dev.formica.engine.state;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BiConsumer;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

/**
 * One variable-size document (at most 16 KiB) per borrower id. A shard keeps two: the borrowers' profiles
 * (serialized protobuf {@code Profile}) and the line notes (why a line was last frozen or cut), each its own
 * operation in the shard log. Named {@code ProfileStore} until issue 23, although it also held the notes.
 *
 * <p><b>Threading:</b> the shard's single writer calls {@link #put}; any thread may call {@link #get},
 * {@link #contains}, {@link #forEach} and {@link #size}. Writes replace the value under the entry's update lock,
 * reads copy under the read lock. {@link #contains} and {@link #put} allocate nothing (the payload array is
 * written as is); {@link #get} and {@link #forEach} return fresh arrays.
 */
public final class BorrowerDocuments implements AutoCloseable {

    static final String FILE_NAME = "profiles.dat";

    private final ChronicleMap<CharSequence, byte[]> map;
    private final ThreadLocal<StringBuilder> keys =
            ThreadLocal.withInitial(() -> new StringBuilder(StateConfig.MAX_ID_CHARS));

    private BorrowerDocuments(ChronicleMap<CharSequence, byte[]> map) {
        this.map = map;
    }

    /** Where changes are recorded for the shard log; null = not recorded. */
    StateOps ops;
    /** Line notes rather than profiles (a different operation in the log). */
    boolean notes;

    static BorrowerDocuments open(Path dir, StateConfig cfg, boolean recover) throws IOException {
        return open(dir, cfg, recover, FILE_NAME, "formica-profiles");
    }

    /** The same layout under another file: line notes (why a line was last frozen or cut) use it. */
    static BorrowerDocuments open(Path dir, StateConfig cfg, boolean recover, String fileName, String name)
            throws IOException {
        return new BorrowerDocuments(StateFiles.open(ChronicleMap.of(CharSequence.class, byte[].class)
                .name(name)
                .entries(cfg.expectedBorrowers())
                .averageKeySize(cfg.averageBorrowerIdChars())
                .averageValueSize(cfg.averageProfileBytes())
                .maxBloatFactor(cfg.maxBloatFactor()), dir.resolve(fileName), recover));
    }

    /** The serialized profile, or null. */
    public byte[] get(CharSequence borrowerId) {
        return map.get(key(borrowerId));
    }

    public boolean contains(CharSequence borrowerId) {
        return map.containsKey(key(borrowerId));
    }

    /** Stores the profile; true when it was created, false when it replaced an existing one. */
    public boolean put(CharSequence borrowerId, byte[] profile) {
        StateFiles.checkPayload("profile", profile);
        try (ExternalMapQueryContext<CharSequence, byte[], ?> c = map.queryContext(key(borrowerId))) {
            c.updateLock().lock();
            MapEntry<CharSequence, byte[]> e = c.entry();
            boolean created;
            if (e != null) {
                c.replaceValue(e, c.wrapValueAsData(profile));
                created = false;
            } else {
                c.insert(c.absentEntry(), c.wrapValueAsData(profile));
                created = true;
            }
            if (ops != null && ops.recording()) {
                ops.profilePut(notes, borrowerId, profile);
            }
            return created;
        }
    }

    /**
     * Visits every profile while Chronicle holds the segment's lock: do not call back into the store. The
     * borrower id sequence is reused; the array is fresh.
     */
    public void forEach(BiConsumer<CharSequence, byte[]> visitor) {
        StringBuilder id = new StringBuilder(StateConfig.MAX_ID_CHARS);
        map.forEachEntry(e -> visitor.accept(e.key().getUsing(id), e.value().getUsing(null)));
    }

    public long size() {
        return map.longSize();
    }

    @Override
    public void close() {
        map.close();
    }

    private CharSequence key(CharSequence borrowerId) {
        StateFiles.checkId("borrowerId", borrowerId);
        StringBuilder k = keys.get();
        k.setLength(0);
        k.append(borrowerId);
        return k;
    }
}
