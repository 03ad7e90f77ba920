package dev.formica.engine.state;

import dev.formica.engine.files.OwnerOnly;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Every persisted store of one shard, opened together from one directory.
 *
 * <p><b>Threading:</b> {@link #open} and {@link #close} run on the shard's owning thread, with no other thread
 * using the stores; in between, each store's own contract applies (one writer, readers on other threads where
 * the store allows it).
 *
 * <p>Crash detection: {@link #open} creates an {@code OPEN} marker before touching any map and {@link #close}
 * deletes it after every map is closed. A marker found on open means the previous run did not close (crash,
 * {@code kill -9}), and every map is then opened through Chronicle's recovery. The marker is also locked with
 * an OS file lock for the lifetime of this object, so neither a second process nor a second {@code ShardState}
 * in this JVM can open the same shard directory.
 * The directory is owner-only (rwx------), the files rw-------, where the file system supports POSIX.
 */
public final class ShardState implements AutoCloseable {

    static final String MARKER = "OPEN";

    private final Path dir;
    private final boolean recovered;
    private final FileChannel markerChannel;
    private final FileLock markerLock;
    private BorrowerBook borrowers;
    private CreditLedger ledger;
    private HoldBook holds;
    private DecisionRecords decisions;
    private BorrowerDocuments profiles;
    private BorrowerActivity activity;
    private BorrowerDocuments notes;
    private ExposureBook exposures;
    private boolean closed;
    private final StateOps ops = new StateOps();

    /**
     * Where the stores record their changes while the shard runs a command; the shard turns them into one log
     * frame per command. Off (not recording) until the shard has recovered.
     */
    public StateOps ops() {
        return ops;
    }

    private ShardState(Path dir, boolean recovered, FileChannel markerChannel, FileLock markerLock) {
        this.dir = dir;
        this.recovered = recovered;
        this.markerChannel = markerChannel;
        this.markerLock = markerLock;
    }

    /**
     * Opens (creating if needed) the shard's state in {@code shardDir}.
     *
     * @param nowMs the current time, used to name and rotate idempotency generations
     * @throws IllegalStateException if another process, or another open ShardState, has the directory open
     */
    public static ShardState open(Path shardDir, StateConfig cfg, long nowMs) throws IOException {
        OwnerOnly.directory(shardDir);
        Path marker = shardDir.resolve(MARKER);
        boolean crashed = Files.exists(marker);
        OwnerOnly.file(marker);
        FileChannel channel = FileChannel.open(marker, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("shard directory " + shardDir + " is already open");
        }
        ShardState state = new ShardState(shardDir, crashed, channel, lock);
        try {
            state.borrowers = BorrowerBook.open(cfg);
            state.ledger = state.borrowers.ledger();
            state.holds = HoldBook.open(cfg);
            state.decisions = DecisionRecords.open(shardDir, cfg, crashed, nowMs);
            state.profiles = BorrowerDocuments.open(shardDir, cfg, crashed);
            state.activity = state.borrowers.activity();
            state.notes = BorrowerDocuments.open(shardDir, cfg, crashed, "line-notes.dat", "formica-line-notes");
            state.notes.notes = true;
            state.exposures = ExposureBook.open(shardDir, cfg, crashed);
            state.exposures.ops = state.ops;
            state.ledger.ops = state.ops;
            state.holds.ops = state.ops;
            state.decisions.ops = state.ops;
            state.profiles.ops = state.ops;
            state.activity.ops = state.ops;
            state.notes.ops = state.ops;
        } catch (IOException | RuntimeException e) {
            // leave the marker: whatever was half-opened gets recovered next time
            try {
                state.closeMaps();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            } finally {
                state.releaseMarker(false);
            }
            throw e;
        }
        return state;
    }

    /** Whether the previous run ended without {@link #close} and the maps went through recovery. */
    public boolean recoveredFromCrash() {
        return recovered;
    }

    /** One entry per borrower: its credit lines ({@link #ledger}) and its activity ({@link #activity}). */
    public BorrowerBook borrowers() {
        return borrowers;
    }

    public CreditLedger ledger() {
        return ledger;
    }

    public HoldBook holds() {
        return holds;
    }

    public DecisionRecords decisions() {
        return decisions;
    }

    /** Per-borrower history for fraud features (amount statistics, devices, watch flag). */
    public BorrowerActivity activity() {
        return activity;
    }

    /**
     * Why each line was last frozen, cut, watched or restored: a serialized {@code CreditLine} holding only
     * its reasons, keyed by the product digit and the borrower id.
     */
    public BorrowerDocuments lineNotes() {
        return notes;
    }

    public BorrowerDocuments profiles() {
        return profiles;
    }

    /** What each line's exposure is attributed to, for the concentration limits. */
    public ExposureBook exposures() {
        return exposures;
    }

    public Path directory() {
        return dir;
    }

    /** Closes every map, then deletes the {@code OPEN} marker. Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        boolean clean = false;
        try {
            closeMaps();
            clean = true;
        } finally {
            // a map that failed to close keeps the marker, so the next open recovers it
            releaseMarker(clean);
        }
    }

    /** Test hook for an unclean shutdown: closes the maps but leaves the marker, as {@code kill -9} would. */
    void closeLeavingMarker() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            closeMaps();
        } finally {
            releaseMarker(false);
        }
    }

    private void closeMaps() {
        RuntimeException failure = null;
        AutoCloseable[] stores = {exposures, notes, profiles, decisions, holds, borrowers};
        for (AutoCloseable store : stores) {
            if (store == null) {
                continue;
            }
            try {
                store.close();
            } catch (Exception e) {
                RuntimeException r = e instanceof RuntimeException ? (RuntimeException) e : new RuntimeException(e);
                if (failure == null) {
                    failure = r;
                } else {
                    failure.addSuppressed(r);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void releaseMarker(boolean delete) throws IOException {
        try {
            markerLock.release();
        } finally {
            markerChannel.close();
        }
        if (delete) {
            Files.deleteIfExists(dir.resolve(MARKER));
        }
    }
}
