package dev.formica.engine.log;

/**
 * An answer of a {@link LogWriter.Log} waiting for its frame, which ends at {@code position}, to be durable; asked
 * for at {@code askedNanos} ({@link LogTimes}).
 */
record LogPending(long position, ShardLog.Release release, long askedNanos) {
}
