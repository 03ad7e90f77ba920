package dev.formica.engine.journal;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one shard's decision journal: segment size and retention.
 *
 * <p>Thread contract: immutable once handed to {@link DecisionJournal#open}; build it on one thread.
 */
public final class JournalConfig {
    /** 64 MiB: about 40,000 typical decisions (~1.6 KB each); the file is sparse until written. */
    public static final int DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    /** While a new segment cannot be created (disk full, I/O error), decisions are dropped; retry after this. */
    public static final long DEFAULT_RETRY_MS = 10_000;

    private int segmentBytes = DEFAULT_SEGMENT_BYTES;
    private Duration retention = DEFAULT_RETENTION;
    private long retryMs = DEFAULT_RETRY_MS;

    public static JournalConfig defaults() {
        return new JournalConfig();
    }

    /** Segment size, 64 KiB .. 1 GiB; a segment also rolls at each UTC day boundary. */
    public JournalConfig segmentBytes(int bytes) {
        if (bytes < 64 * 1024 || bytes > (1 << 30)) {
            throw new IllegalArgumentException("journal segmentBytes must be 64 KiB .. 1 GiB, was " + bytes);
        }
        this.segmentBytes = bytes;
        return this;
    }

    /** Whole segments whose newest decision is older than this are deleted; at least one hour. */
    public JournalConfig retention(Duration retention) {
        Objects.requireNonNull(retention, "retention");
        if (retention.toMinutes() < 60) {
            throw new IllegalArgumentException("journalRetention must be at least 1h, was " + retention);
        }
        this.retention = retention;
        return this;
    }

    public JournalConfig retryMs(long ms) {
        this.retryMs = ms;
        return this;
    }

    public int segmentBytes() {
        return segmentBytes;
    }

    public Duration retention() {
        return retention;
    }

    public long retryMs() {
        return retryMs;
    }
}
