package dev.formica.engine.state;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A one-slot redo log per shard: the mutation in progress, written to a memory-mapped file before
 * the shard touches its maps and cleared after. A mutation touches up to three maps (decision record,
 * hold, ledger); if the process dies between them, start-up replays the slot so that either all three
 * changes are there or the caller was never answered.
 *
 * <p>Why it is safe: the slot is plain stores into a shared file mapping, which the kernel keeps when
 * the process is killed (an OS crash can lose it, see README "Promises"). Each redo step is
 * idempotent: the record is put only when absent, the hold is set to its target state, and the
 * ledger delta is applied only while the ledger still has the version it had before.
 *
 * <p>Thread contract: single writer, the shard's writer thread. Allocation-free except
 * {@link #payload()} on recovery.
 */
public final class IntentLog implements AutoCloseable {
    public static final int MAX_PAYLOAD = StateConfig.MAX_PAYLOAD_BYTES;
    private static final int MAX_ID = StateConfig.MAX_ID_CHARS;

    private static final int STATE = 0;
    private static final int OP = 4;
    private static final int HOLD_ID = 8;
    private static final int HELD_DELTA = 16;
    private static final int DRAWN_DELTA = 24;
    private static final int LEDGER_VERSION_BEFORE = 32;
    private static final int PRODUCT = 40;
    private static final int HOLD_TARGET_STATE = 44;
    private static final int AMOUNT = 48;
    private static final int CREATED_MS = 56;
    private static final int EXPIRES_MS = 64;
    private static final int RECORD_KIND = 72;
    private static final int BORROWER_LEN = 76;
    private static final int BORROWER = 80;
    private static final int REQUEST_LEN = BORROWER + MAX_ID;
    private static final int REQUEST = REQUEST_LEN + 4;
    private static final int REQUEST_HASH = REQUEST + MAX_ID;
    private static final int FUNDING_COUNT = REQUEST_HASH + 8;
    private static final int FUNDING = FUNDING_COUNT + 8;
    private static final int FUNDING_ENTRY = 16;
    private static final int PAYLOAD_LEN = FUNDING + HoldSnapshot.MAX_FUNDING_SPLITS * FUNDING_ENTRY;
    private static final int PAYLOAD = PAYLOAD_LEN + 8;
    private static final int FILE_LENGTH = PAYLOAD + MAX_PAYLOAD;

    private static final int IDLE = 0;
    private static final int PENDING = 1;

    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;

    private IntentLog(MappedByteBuffer mapped) {
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
    }

    /** Opens (or creates, owner-only) {@code file}. */
    public static IntentLog open(Path file) throws IOException {
        File f = file.toFile();
        if (!f.exists() || f.length() == 0) {
            // length 0: a crash between creating and sizing it; nothing was ever pending in it
            OwnerOnly.file(file, FILE_LENGTH);
            return new IntentLog(IoUtil.mapExistingFile(f, "intent"));
        }
        if (f.length() != FILE_LENGTH) {
            throw new IOException(file + " has length " + f.length() + ", expected " + FILE_LENGTH
                    + ": not a Formica intent log of this version");
        }
        return new IntentLog(IoUtil.mapExistingFile(f, "intent"));
    }

    /**
     * Starts describing a mutation. Fields default to "nothing to redo"; call the setters, then
     * {@link #commit()} before touching any map.
     */
    public IntentLog begin(int op) {
        buffer.setMemory(OP, PAYLOAD_LEN + 4 - OP, (byte) 0);
        buffer.putInt(OP, op);
        buffer.putLong(LEDGER_VERSION_BEFORE, -1);
        return this;
    }

    public IntentLog ledger(CharSequence borrowerId, int product, long versionBefore, long heldDelta,
            long drawnDelta) {
        putAscii(BORROWER_LEN, BORROWER, borrowerId);
        buffer.putInt(PRODUCT, product);
        buffer.putLong(LEDGER_VERSION_BEFORE, versionBefore);
        buffer.putLong(HELD_DELTA, heldDelta);
        buffer.putLong(DRAWN_DELTA, drawnDelta);
        return this;
    }

    /** The hold to bring to {@code targetState}; with {@link HoldState#ACTIVE} the hold is created. */
    public IntentLog hold(long holdId, int targetState, long amountMinor, long createdMs, long expiresMs,
            long requestIdHash) {
        buffer.putLong(HOLD_ID, holdId);
        buffer.putInt(HOLD_TARGET_STATE, targetState);
        buffer.putLong(AMOUNT, amountMinor);
        buffer.putLong(CREATED_MS, createdMs);
        buffer.putLong(EXPIRES_MS, expiresMs);
        buffer.putLong(REQUEST_HASH, requestIdHash);
        return this;
    }

    /** The funding split of the hold being created (so a redo restores it and its quota can be returned). */
    public IntentLog funding(HoldSnapshot h) {
        buffer.putInt(FUNDING_COUNT, h.fundingCount());
        for (int i = 0; i < h.fundingCount(); i++) {
            buffer.putInt(FUNDING + i * FUNDING_ENTRY, h.funderIndex(i));
            buffer.putLong(FUNDING + i * FUNDING_ENTRY + 8, h.fundingAmountMinor(i));
        }
        return this;
    }

    /** Copies the recorded funding split into {@code h}. */
    public HoldSnapshot fundingInto(HoldSnapshot h) {
        h.clearFunding();
        int n = buffer.getInt(FUNDING_COUNT);
        for (int i = 0; i < n; i++) {
            h.addFunding(buffer.getInt(FUNDING + i * FUNDING_ENTRY), buffer.getLong(FUNDING + i * FUNDING_ENTRY + 8));
        }
        return h;
    }

    /** The idempotency record to write ({@code kind} != 0). */
    public IntentLog record(CharSequence requestId, byte kind, long createdMs, byte[] payload) {
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("record payload of " + payload.length + " bytes exceeds " + MAX_PAYLOAD);
        }
        putAscii(REQUEST_LEN, REQUEST, requestId);
        buffer.putInt(RECORD_KIND, kind);
        buffer.putLong(CREATED_MS, createdMs);
        buffer.putInt(PAYLOAD_LEN, payload.length);
        buffer.putBytes(PAYLOAD, payload);
        return this;
    }

    /** Marks the slot pending: from here on a crash is redone at start-up. */
    public void commit() {
        buffer.putIntOrdered(STATE, PENDING);
    }

    /** Marks the mutation complete. */
    public void clear() {
        buffer.putIntOrdered(STATE, IDLE);
    }

    public boolean pending() {
        return buffer.getIntVolatile(STATE) == PENDING;
    }

    public int op() {
        return buffer.getInt(OP);
    }

    public long holdId() {
        return buffer.getLong(HOLD_ID);
    }

    public int holdTargetState() {
        return buffer.getInt(HOLD_TARGET_STATE);
    }

    public long amountMinor() {
        return buffer.getLong(AMOUNT);
    }

    public long createdMs() {
        return buffer.getLong(CREATED_MS);
    }

    public long expiresMs() {
        return buffer.getLong(EXPIRES_MS);
    }

    public long requestIdHash() {
        return buffer.getLong(REQUEST_HASH);
    }

    public long ledgerVersionBefore() {
        return buffer.getLong(LEDGER_VERSION_BEFORE);
    }

    public long heldDelta() {
        return buffer.getLong(HELD_DELTA);
    }

    public long drawnDelta() {
        return buffer.getLong(DRAWN_DELTA);
    }

    public int product() {
        return buffer.getInt(PRODUCT);
    }

    public byte recordKind() {
        return (byte) buffer.getInt(RECORD_KIND);
    }

    public String borrowerId() {
        return buffer.getStringWithoutLengthAscii(BORROWER, buffer.getInt(BORROWER_LEN));
    }

    public String requestId() {
        return buffer.getStringWithoutLengthAscii(REQUEST, buffer.getInt(REQUEST_LEN));
    }

    public byte[] payload() {
        byte[] bytes = new byte[buffer.getInt(PAYLOAD_LEN)];
        buffer.getBytes(PAYLOAD, bytes);
        return bytes;
    }

    private void putAscii(int lengthOffset, int offset, CharSequence value) {
        int n = value.length();
        if (n > MAX_ID) {
            throw new IllegalArgumentException("id longer than " + MAX_ID);
        }
        for (int i = 0; i < n; i++) {
            buffer.putByte(offset + i, (byte) value.charAt(i));
        }
        buffer.putInt(lengthOffset, n);
    }

    /** Flushes the mapping to the device (for OS-crash durability; not needed for process crashes). */
    public void force() {
        mapped.force();
    }

    @Override
    public void close() {
        IoUtil.unmap(mapped);
    }
}
