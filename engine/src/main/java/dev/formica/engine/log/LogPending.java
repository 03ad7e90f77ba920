package dev.formica.engine.log;

/** An answer of a {@link LogWriter.Log} waiting for its frame, which ends at {@code position}, to be durable. */
record LogPending(long position, ShardLog.Release release) {
}
