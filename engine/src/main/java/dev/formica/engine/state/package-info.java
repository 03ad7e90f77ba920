/**
 * Off-heap, in-memory state of one shard: credit ledgers, idempotency records, profiles, line notes and borrower
 * activity, each in a Chronicle Map, the holds in a compact table of their own ({@link
 * dev.formica.engine.state.HoldBook}: fixed-size slots and an open-addressing index, a seqlock for readers on
 * other threads), plus the operations that make them replayable.
 *
 * <p><b>Threading.</b> One writer thread per shard mutates every store of that shard; other threads may read
 * (for example {@code GetCreditLine}). Mutual exclusion between them comes only from Chronicle Map's per-entry
 * contexts: updates take {@code updateLock()} and upgrade to {@code writeLock()} before writing in place, reads
 * take {@code readLock()} and copy out, so a reader never sees half an update. There are no other locks.
 * Per-call scratch objects (key builders, value references) live in a {@link java.lang.ThreadLocal} per store,
 * so any thread may call any method without allocating after its first call.
 *
 * <p><b>Value storage.</b> Fixed-size values ({@link dev.formica.engine.state.BorrowerBook}: one entry per
 * borrower holding its credit lines and its activity, of which {@link dev.formica.engine.state.CreditLedger} and
 * {@link dev.formica.engine.state.BorrowerActivity} are views) use a Chronicle <em>value interface</em>
 * (package-private {@code BorrowerValue}; its classes are pregenerated, see {@code PregeneratedValueClassesTest}).
 * Updates bind a reused native reference to the entry's off-heap bytes with {@code entry.value().getUsing(ref)} and
 * change the fields in place, so a read or an {@code apply()} copies no value and allocates nothing in steady
 * state. Borrower keys are a reused {@link java.lang.StringBuilder} holding the borrower id: variable-sized, so
 * short ids cost few bytes, and built without String concatenation. Variable-sized values (idempotency records,
 * profiles) are
 * {@link java.nio.ByteBuffer}s: writes go through a reused buffer, reads that return {@code byte[]} allocate the
 * result, and {@code contains} allocates nothing.
 *
 * <p><b>Durability.</b> The maps live in memory. Every change a store makes while the shard runs a command is
 * recorded in the shard's {@link dev.formica.engine.state.StateOps} and becomes one frame of the shard log;
 * start-up rebuilds the stores from the newest {@link dev.formica.engine.state.ShardSnapshot} and the log after
 * it (docs/state-and-durability.md).
 *
 * <p><b>Entry checksums.</b> The in-place maps (ledger, activity) turn Chronicle's entry checksums off: writing a
 * value in place through a native reference does not update them. With maps in memory nothing is recovered from
 * them anyway; the shard log's frames carry their own CRC32C.
 */
package dev.formica.engine.state;
