package dev.formica.engine.state;

import dev.formica.engine.funding.QuotaSink;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;

/**
 * The operations of one mutation, as the shard log carries them: every change a store makes is recorded here
 * while the shard runs a command, and the buffer becomes one log frame. Replaying a frame calls the same store
 * methods with the same arguments and the frame's time, so the state after a replay equals the state the live
 * run left (the stores are deterministic: no clock, no randomness, no reads of other shards).
 *
 * <p>Operations are logical redo records ("add −120.00 to held of (b, CONSUMER_CREDIT)"), not page images: a
 * frame is small, and the same log serves audit and backtest. Replay must therefore start from the state the
 * frame was recorded on: empty, or a snapshot taken at a frame boundary (see {@code ShardSnapshots}).
 *
 * <p>Encoding, little-endian: one byte of op code, then its fields; strings as a byte of length and UTF-16 chars
 * (ids are at most {@value StateConfig#MAX_ID_CHARS} chars); byte arrays as an int length and the bytes.
 *
 * <p>Thread contract: one per shard, used by the shard's single writer only (and by recovery before it runs).
 */
public final class StateOps {
    static final byte LEDGER_PUT_LINE = 1;
    static final byte LEDGER_APPLY = 2;
    static final byte LEDGER_FROZEN = 3;
    static final byte LEDGER_GRADE = 4;
    static final byte LEDGER_SET_HELD = 5;
    static final byte HOLD_PUT = 6;
    static final byte HOLD_STATE = 7;
    static final byte HOLD_REMOVE = 8;
    static final byte RECORD_PUT = 9;
    static final byte RECORD_ROTATE = 10;
    static final byte PROFILE_PUT = 11;
    static final byte NOTE_PUT = 12;
    static final byte ACTIVITY_APPROVAL = 13;
    static final byte ACTIVITY_WATCH = 14;
    static final byte VELOCITY_ADD = 15;
    static final byte QUOTA_RESERVE = 16;
    static final byte QUOTA_RELEASE = 17;
    /** Not state: the audit record of a decision (request, answer, features), skipped by replay. */
    public static final byte AUDIT = 18;
    /** A line's exposure record (concentration attribution), whole; 0 bytes = removed. */
    static final byte EXPOSURE_PUT = 19;
    /** A replicated group gave another group total-quota headroom (cumulative per pair and funder). */
    static final byte QUOTA_GIVE = 20;
    /** A replicated group accepted what another group gave it (cumulative per pair and funder). */
    static final byte QUOTA_ACCEPT = 21;
    /** A replicated group gave another group daily-quota headroom of one UTC day (cumulative in that day). */
    static final byte QUOTA_GIVE_DAILY = 22;
    /** A replicated group accepted what another group gave it of a day's daily quota (cumulative in that day). */
    static final byte QUOTA_ACCEPT_DAILY = 23;

    private final ExpandableDirectByteBuffer buf = new ExpandableDirectByteBuffer(4096);
    private int length;
    private boolean recording;

    /** Whether store changes are recorded (off during recovery, which replays them). */
    public boolean recording() {
        return recording;
    }

    public void recording(boolean on) {
        this.recording = on;
    }

    /** The recorded bytes of the current mutation. */
    public DirectBuffer buffer() {
        return buf;
    }

    public int length() {
        return length;
    }

    /** Starts the next mutation. */
    public void reset() {
        length = 0;
    }

    // ---- recording (called by the stores after a change succeeded) ------------------------------------

    void ledgerPutLine(CharSequence borrowerId, int product, long line) {
        op(LEDGER_PUT_LINE).string(borrowerId).i8(product).i64(line);
    }

    void ledgerApply(CharSequence borrowerId, int product, long heldDelta, long drawnDelta) {
        op(LEDGER_APPLY).string(borrowerId).i8(product).i64(heldDelta).i64(drawnDelta);
    }

    void ledgerFrozen(CharSequence borrowerId, int product, boolean frozen) {
        op(LEDGER_FROZEN).string(borrowerId).i8(product).i8(frozen ? 1 : 0);
    }

    void ledgerGrade(CharSequence borrowerId, int product, int grade) {
        op(LEDGER_GRADE).string(borrowerId).i8(product).i8(grade);
    }

    void ledgerSetHeld(CharSequence borrowerId, int product, long held) {
        op(LEDGER_SET_HELD).string(borrowerId).i8(product).i64(held);
    }

    void holdPut(long holdId, HoldSnapshot h) {
        op(HOLD_PUT).i64(holdId).string(h.borrowerId()).i8(h.product()).i64(h.amountMinor()).i64(h.createdMs())
                .i64(h.expiresMs()).i8(h.state()).i64(h.requestIdHash()).i8(h.fundingCount());
        for (int i = 0; i < h.fundingCount(); i++) {
            i32(h.funderIndex(i)).i64(h.fundingAmountMinor(i));
        }
    }

    void holdState(long holdId, int state) {
        op(HOLD_STATE).i64(holdId).i8(state);
    }

    void holdRemove(long holdId) {
        op(HOLD_REMOVE).i64(holdId);
    }

    void recordPut(CharSequence key, byte kind, long createdMs, long fingerprint, byte[] payload, int length) {
        op(RECORD_PUT).string(key).i8(kind).i64(createdMs).i64(fingerprint).bytes(payload, length);
    }

    void recordRotate(long startMs) {
        op(RECORD_ROTATE).i64(startMs);
    }

    void profilePut(boolean notes, CharSequence borrowerId, byte[] bytes) {
        op(notes ? NOTE_PUT : PROFILE_PUT).string(borrowerId).bytes(bytes);
    }

    void exposurePut(CharSequence key, byte[] bytes, int len) {
        op(EXPOSURE_PUT).string(key).i32(len);
        buf.putBytes(length, bytes, 0, len);
        length += len;
    }

    void activityApproval(CharSequence borrowerId, long amountMinor, long deviceHash) {
        op(ACTIVITY_APPROVAL).string(borrowerId).i64(amountMinor).i64(deviceHash);
    }

    void activityWatch(CharSequence borrowerId, boolean watch) {
        op(ACTIVITY_WATCH).string(borrowerId).i8(watch ? 1 : 0);
    }

    /** A velocity add by this shard of the key with table hash {@code hash} ({@link VelocityWindows#keyHash}). */
    public void velocityAdd(long hash, long amountMinor) {
        if (recording) {
            op(VELOCITY_ADD).i64(hash).i64(amountMinor);
        }
    }

    /** Quota reserved from a funder for an approval (the net of what the allocation kept). */
    public void quotaReserve(int funder, long amountMinor, long dayIndex) {
        if (recording) {
            op(QUOTA_RESERVE).i8(funder).i64(amountMinor).i64(dayIndex);
        }
    }

    /** Quota given back (cancel, expiry). */
    public void quotaRelease(int funder, long amountMinor, long dayIndex) {
        if (recording) {
            op(QUOTA_RELEASE).i8(funder).i64(amountMinor).i64(dayIndex);
        }
    }

    /**
     * A replicated group's leader gave group {@code toGroup} of the funder's total quota, {@code cumulativeMinor} to
     * that group so far (docs/cluster.md, "Moving headroom between groups").
     */
    public void quotaGive(int funder, int toGroup, long cumulativeMinor) {
        if (recording) {
            op(QUOTA_GIVE).i8(funder).i8(toGroup).i64(cumulativeMinor);
        }
    }

    /** A replicated group's leader accepted from group {@code fromGroup} everything up to {@code cumulativeMinor}. */
    public void quotaAccept(int funder, int fromGroup, long cumulativeMinor) {
        if (recording) {
            op(QUOTA_ACCEPT).i8(funder).i8(fromGroup).i64(cumulativeMinor);
        }
    }

    /**
     * A replicated group's leader gave group {@code toGroup} of the funder's daily quota of the UTC day
     * {@code dayIndex}, {@code cumulativeMinor} to that group on that day so far (docs/cluster.md, "Moving headroom
     * between groups"); the frame carries the day, so a replay counts it on that day whatever the clock says.
     */
    public void quotaGiveDaily(int funder, int toGroup, long dayIndex, long cumulativeMinor) {
        if (recording) {
            op(QUOTA_GIVE_DAILY).i8(funder).i8(toGroup).i64(dayIndex).i64(cumulativeMinor);
        }
    }

    /** A replicated group's leader accepted from {@code fromGroup} everything given of that day up to the amount. */
    public void quotaAcceptDaily(int funder, int fromGroup, long dayIndex, long cumulativeMinor) {
        if (recording) {
            op(QUOTA_ACCEPT_DAILY).i8(funder).i8(fromGroup).i64(dayIndex).i64(cumulativeMinor);
        }
    }

    /** Appends an audit record (not state: replay skips it) of {@code len} bytes into this frame. */
    public void audit(DirectBuffer bytes, int len) {
        if (recording) {
            op(AUDIT).i32(len);
            buf.putBytes(length, bytes, 0, len);
            length += len;
        }
    }

    private StateOps op(byte code) {
        buf.putByte(length, code);
        length++;
        return this;
    }

    private StateOps i8(int v) {
        buf.putByte(length, (byte) v);
        length++;
        return this;
    }

    private StateOps i32(int v) {
        buf.putInt(length, v);
        length += 4;
        return this;
    }

    private StateOps i64(long v) {
        buf.putLong(length, v);
        length += 8;
        return this;
    }

    private StateOps string(CharSequence s) {
        int n = s.length();
        buf.putByte(length, (byte) n);
        length++;
        for (int i = 0; i < n; i++) {
            buf.putChar(length, s.charAt(i));
            length += 2;
        }
        return this;
    }

    private StateOps bytes(byte[] b) {
        return bytes(b, b.length);
    }

    private StateOps bytes(byte[] b, int n) {
        buf.putInt(length, n);
        buf.putBytes(length + 4, b, 0, n);
        length += 4 + n;
        return this;
    }

    // ---- replay ----------------------------------------------------------------------------------------

    /**
     * What replay needs besides the shard's stores: the engine-wide tables this shard added to, and who follows the
     * shard's exposure records (null: nobody; recovery rebuilds the concentration table from the records at the end).
     */
    public record Shared(VelocityWindows velocity, QuotaSink quotas, ExposureListener exposures) {
        public Shared(VelocityWindows velocity, QuotaSink quotas) {
            this(velocity, quotas, null);
        }
    }

    /**
     * Told of every exposure record a replayed frame replaces, before the store changes: a replicated node keeps its
     * concentration table the sum of the records of every group it hosts, the groups it follows included.
     */
    @FunctionalInterface
    public interface ExposureListener {
        /**
         * @param before the record the store holds now, or null when it holds none (reused: read it here)
         * @param after  the record the frame stores, or null when the frame removes it (reused likewise)
         */
        void replaced(ExposureRecord before, ExposureRecord after);
    }

    /** Reused decoding scratch; one per replaying thread. */
    public static final class Replayer {
        private final StringBuilder s1 = new StringBuilder(StateConfig.MAX_ID_CHARS);
        private final HoldSnapshot hold = new HoldSnapshot();
        private int at;
        private boolean decode;
        private DirectBuffer b;
        private AuditVisitor audits;
        private java.util.function.BiConsumer<String, byte[]> profiles;
        private ExposureRecord exposureBefore;
        private ExposureRecord exposureAfter;

        /** Reports every profile put (borrower id, serialized profile) while decoding (readers, not recovery). */
        public Replayer onProfile(java.util.function.BiConsumer<String, byte[]> visitor) {
            this.profiles = visitor;
            return this;
        }

        /**
         * Applies one frame's operations to {@code state} (and to the shared tables when {@code shared} is not
         * null) at the frame's time.
         *
         * @param sharedOnly apply only the engine-wide operations (velocity, quotas), not the shard's stores
         */
        public void apply(ShardState state, Shared shared, boolean sharedOnly, DirectBuffer buffer, int offset,
                int len, long timeMs) {
            this.b = buffer;
            this.at = offset;
            // the shared-only pass of a parallel start-up reads every frame again: ids and payloads are skipped
            // there, not decoded (a profile visitor still gets them)
            this.decode = !sharedOnly || profiles != null;
            int end = offset + len;
            while (at < end) {
                byte code = buffer.getByte(at++);
                boolean local = !sharedOnly;
                switch (code) {
                    case LEDGER_PUT_LINE -> {
                        str();
                        int p = u8();
                        long line = i64();
                        if (local) {
                            state.ledger().putLine(s1, p, line, timeMs);
                        }
                    }
                    case LEDGER_APPLY -> {
                        str();
                        int p = u8();
                        long h = i64();
                        long d = i64();
                        if (local) {
                            state.ledger().apply(s1, p, h, d, timeMs);
                        }
                    }
                    case LEDGER_FROZEN -> {
                        str();
                        int p = u8();
                        boolean f = u8() != 0;
                        if (local) {
                            state.ledger().setFrozen(s1, p, f, timeMs);
                        }
                    }
                    case LEDGER_GRADE -> {
                        str();
                        int p = u8();
                        int g = u8();
                        if (local) {
                            state.ledger().setGrade(s1, p, g, timeMs);
                        }
                    }
                    case LEDGER_SET_HELD -> {
                        str();
                        int p = u8();
                        long h = i64();
                        if (local) {
                            state.ledger().setHeld(s1, p, h, timeMs);
                        }
                    }
                    case HOLD_PUT -> {
                        long id = i64();
                        str();
                        hold.reset().borrowerId(s1).product(u8()).amountMinor(i64()).createdMs(i64())
                                .expiresMs(i64()).state(u8()).requestIdHash(i64());
                        int n = u8();
                        for (int i = 0; i < n; i++) {
                            int funder = b.getInt(at);
                            at += 4;
                            hold.addFunding(funder, i64());
                        }
                        if (local) {
                            state.holds().put(id, hold);
                        }
                    }
                    case HOLD_STATE -> {
                        long id = i64();
                        int st = u8();
                        if (local) {
                            state.holds().setState(id, st);
                        }
                    }
                    case HOLD_REMOVE -> {
                        long id = i64();
                        if (local) {
                            state.holds().remove(id);
                        }
                    }
                    case RECORD_PUT -> {
                        str();
                        byte kind = b.getByte(at++);
                        long created = i64();
                        long fingerprint = i64();
                        byte[] payload = bytesOut();
                        if (local) {
                            state.decisions().put(s1, kind, created, fingerprint, payload);
                        }
                    }
                    case RECORD_ROTATE -> {
                        long start = i64();
                        if (local) {
                            state.decisions().rotateTo(start);
                        }
                    }
                    case PROFILE_PUT, NOTE_PUT -> {
                        str();
                        byte[] bytes = bytesOut();
                        if (code == PROFILE_PUT && profiles != null) {
                            profiles.accept(s1.toString(), bytes);
                        }
                        if (local) {
                            (code == PROFILE_PUT ? state.profiles() : state.lineNotes()).put(s1, bytes);
                        }
                    }
                    case ACTIVITY_APPROVAL -> {
                        str();
                        long amount = i64();
                        long device = i64();
                        if (local) {
                            state.activity().recordApproval(s1, amount, device, timeMs);
                        }
                    }
                    case ACTIVITY_WATCH -> {
                        str();
                        boolean w = u8() != 0;
                        if (local) {
                            state.activity().setWatch(s1, w, timeMs);
                        }
                    }
                    case VELOCITY_ADD -> {
                        long hash = i64();
                        long amount = i64();
                        if (shared != null && shared.velocity() != null) {
                            shared.velocity().addHash(hash, timeMs, amount);
                        }
                    }
                    case QUOTA_RESERVE, QUOTA_RELEASE -> {
                        int funder = u8();
                        long amount = i64();
                        long day = i64();
                        if (shared != null && shared.quotas() != null) {
                            if (code == QUOTA_RESERVE) {
                                shared.quotas().replayReserve(funder, amount, day);
                            } else {
                                shared.quotas().release(funder, amount, day);
                            }
                        }
                    }
                    case QUOTA_GIVE, QUOTA_ACCEPT -> {
                        int funder = u8();
                        int group = u8();
                        long cumulative = i64();
                        if (shared != null && shared.quotas() != null) {
                            if (code == QUOTA_GIVE) {
                                shared.quotas().give(funder, group, cumulative);
                            } else {
                                shared.quotas().accept(funder, group, cumulative);
                            }
                        }
                    }
                    case QUOTA_GIVE_DAILY, QUOTA_ACCEPT_DAILY -> {
                        int funder = u8();
                        int group = u8();
                        long day = i64();
                        long cumulative = i64();
                        if (shared != null && shared.quotas() != null) {
                            if (code == QUOTA_GIVE_DAILY) {
                                shared.quotas().giveDaily(funder, group, day, cumulative);
                            } else {
                                shared.quotas().acceptDaily(funder, group, day, cumulative);
                            }
                        }
                    }
                    case EXPOSURE_PUT -> {
                        str();
                        int n = b.getInt(at);
                        if (local) {
                            if (shared != null && shared.exposures() != null) {
                                exposureReplaced(state, shared.exposures(), at + 4, n);
                            }
                            state.exposures().restore(s1, b, at + 4, n);
                        }
                        at += 4 + n;
                    }
                    case AUDIT -> {
                        int n = b.getInt(at);
                        if (audits != null) {
                            audits.onAudit(b, at + 4, n, timeMs);
                        }
                        at += 4 + n;
                    }
                    default -> throw new IllegalStateException("unknown operation " + code + " in the shard log");
                }
            }
        }

        /** Tells {@code listener} of the record under {@link #s1} and the one at {@code offset} replacing it. */
        private void exposureReplaced(ShardState state, ExposureListener listener, int offset, int length) {
            if (exposureBefore == null) {
                exposureBefore = new ExposureRecord();
                exposureAfter = new ExposureRecord();
            }
            ExposureRecord before = state.exposures().readRaw(s1, exposureBefore) ? exposureBefore : null;
            ExposureRecord after = length > 0 ? exposureAfter.decode(b, offset, length) : null;
            listener.replaced(before, after);
        }

        private int u8() {
            return b.getByte(at++) & 0xff;
        }

        private long i64() {
            long v = b.getLong(at);
            at += 8;
            return v;
        }

        private void str() {
            int n = u8();
            if (!decode) {
                at += 2 * n;
                return;
            }
            s1.setLength(0);
            for (int i = 0; i < n; i++) {
                s1.append(b.getChar(at));
                at += 2;
            }
        }

        private byte[] bytesOut() {
            int n = b.getInt(at);
            if (!decode) {
                at += 4 + n;
                return null;
            }
            byte[] out = new byte[n];
            b.getBytes(at + 4, out);
            at += 4 + n;
            return out;
        }
    }

    /** Walks the AUDIT records of a frame (journal readers). */
    public static void forEachAudit(DirectBuffer buffer, int offset, int len, long timeMs, AuditVisitor visitor) {
        Replayer r = new Replayer();
        r.audits = visitor;
        r.apply(null, null, true, buffer, offset, len, timeMs);
    }

    /** Receives one AUDIT record. */
    @FunctionalInterface
    public interface AuditVisitor {
        void onAudit(DirectBuffer buffer, int offset, int length, long timeMs);
    }
}
