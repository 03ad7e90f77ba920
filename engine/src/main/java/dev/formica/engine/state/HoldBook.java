package dev.formica.engine.state;

import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.UnsafeApi;
import org.agrona.collections.IntArrayList;

/**
 * Holds (reservations against a credit line) by hold id: one compact table per shard, off-heap, in memory.
 *
 * <p><b>Threading:</b> the shard's single writer calls every mutator ({@link #put}, {@link #setState},
 * {@link #expireIfActive}, {@link #remove}, {@link #removeIfFinished}); any thread may call {@link #get},
 * {@link #contains}, {@link #forEach}, {@link #forEachBrief}, {@link #size} and {@link #activeCount}. A reader on
 * another thread never sees half a change: the writer makes the book's sequence odd before it changes anything
 * and even after (a seqlock), and a read copies the hold out, then retries if the sequence moved meanwhile. The
 * writer pays two ordered stores per change and never waits; no locks, no allocation per call but a walk's one copy
 * (and a borrower id of other than ASCII characters, whose UTF-8 bytes are allocated: no server request takes that
 * path, ids are printable ASCII).
 * A walk ({@link #forEach}) on another thread copies each hold whole; a hold changed during the walk is seen as
 * it was or as it is, one added or removed during it may be missed, as with the Chronicle Map this replaces.
 *
 * <p><b>Layout.</b> Slots of {@value #SLOT_BYTES} bytes in chunks of {@value #SLOTS_PER_CHUNK} slots (anonymous
 * memory, taken as holds are written: a chunk per {@value #SLOTS_PER_CHUNK} holds alive at once, given back only
 * at {@link #close}, so a reader's stale slot number always points into memory the book owns), and a freed slot is
 * taken again before a new one. The index is open addressing with linear probing on the Java heap: one {@code long}
 * per bucket, the upper 32 bits of the hold id's hash (the bucket's home and a tag, so a probe rarely reads a slot
 * of another hold) beside the slot number + 1; at most half full (it doubles), removal shifts the run back (no
 * tombstones). The book takes {@code expectedHolds × maxBloatFactor} holds, as the Chronicle Map did; {@link #put}
 * of one more is refused with {@link IllegalStateException} before anything changes.
 */
public final class HoldBook implements AutoCloseable {

    static final int SLOT_BYTES = 160;
    static final int SLOTS_PER_CHUNK = 1 << 13;
    private static final int CHUNK_SHIFT = 13;
    private static final int CHUNK_BYTES = SLOTS_PER_CHUNK * SLOT_BYTES;
    private static final int MIN_BUCKETS = 1 << 10;

    // a slot: the hold id, the fields, then the borrower id's bytes; STATE 0 = a free slot
    private static final int KEY = 0;
    private static final int AMOUNT = 8;
    private static final int CREATED = 16;
    private static final int EXPIRES = 24;
    private static final int REQUEST_HASH = 32;
    private static final int FUNDING_AMOUNTS = 40; // 4 longs
    private static final int FUNDER_INDEXES = 72; // 4 ints
    private static final int STATE = 88;
    private static final int PRODUCT = 92;
    private static final int FUNDING_COUNT = 93;
    private static final int ID_BYTES = 94; // the borrower id's length in bytes
    private static final int ID_UTF8 = 95; // 1 when the id has other than ASCII characters (UTF-8), else 0
    private static final int ID = 96;
    private static final int MAX_ID_BYTES = SLOT_BYTES - ID;

    private final long capacity;
    /** Odd while the writer changes the book: readers retry (see the class javadoc). */
    private final AtomicLong sequence = new AtomicLong();
    /** Holds in state ACTIVE, kept by the mutators so metrics need not walk the book. */
    private final AtomicLong active = new AtomicLong();
    private final AtomicLong count = new AtomicLong();
    private final IntArrayList freeSlots = new IntArrayList();
    /** Chunk addresses; replaced (never shrunk) when a chunk is added, so a reader's copy stays valid. */
    private volatile long[] chunks = new long[0];
    private volatile long[] buckets = new long[MIN_BUCKETS];
    private int shift = 64 - Integer.numberOfTrailingZeros(MIN_BUCKETS);
    /** Slots ever handed out: those below it are in a chunk. */
    private volatile int highWater;
    private boolean closed;

    /** Where changes are recorded for the shard log; null = not recorded. */
    StateOps ops;

    private HoldBook(long capacity) {
        this.capacity = capacity;
    }

    static HoldBook open(StateConfig cfg) {
        double slots = Math.ceil(cfg.expectedHolds() * cfg.maxBloatFactor());
        return new HoldBook((long) Math.min(slots, 1 << 29));
    }

    /** Holds in state ACTIVE; any thread, never blocks the writer. */
    public long activeCount() {
        return active.get();
    }

    /** Number of holds, in every state. */
    public long size() {
        return count.get();
    }

    /** The holds the book takes before {@link #put} of a new one is refused. */
    public long capacity() {
        return capacity;
    }

    /** Slots ever handed out (a freed slot is taken again before a new one); for tests. */
    int slotsHandedOut() {
        return highWater;
    }

    /** Copies the hold into {@code out}; false (and {@code out} untouched) if there is none. */
    public boolean get(long holdId, HoldSnapshot out) {
        while (true) {
            long seq = beginRead();
            long slot = slotAddress(holdId);
            if (slot == 0) {
                if (validRead(seq)) {
                    return false;
                }
                continue;
            }
            copyOut(slot, out);
            if (validRead(seq)) {
                return true;
            }
        }
    }

    /** Whether a hold (in any state) has this id: a new id must be none's ({@code HoldIds.Source}). */
    public boolean contains(long holdId) {
        while (true) {
            long seq = beginRead();
            boolean found = slotAddress(holdId) != 0;
            if (validRead(seq)) {
                return found;
            }
        }
    }

    /** Creates or replaces the hold with every field of {@code values}. */
    public void put(long holdId, HoldSnapshot values) {
        StateFiles.checkId("borrowerId", values.borrowerId());
        StateFiles.checkProduct(values.product());
        if (!HoldState.isValid(values.state())) {
            throw new IllegalArgumentException("state must be a HoldState constant, was " + values.state());
        }
        byte[] utf8 = utf8IfNotAscii(values.borrowerId());
        if (utf8 != null && utf8.length > MAX_ID_BYTES) {
            throw new IllegalArgumentException("borrowerId must be at most " + MAX_ID_BYTES + " UTF-8 bytes, was "
                    + utf8.length);
        }
        checkOpen();
        long slot = slotAddress(holdId);
        if (slot == 0 && freeSlots.isEmpty() && highWater >= capacity) {
            throw new IllegalStateException("the holds table is full: " + capacity + " holds (expectedHolds × "
                    + "maxBloatFactor; the expectedBorrowers setting sizes it)");
        }
        long seq = beginWrite();
        try {
            int before = 0;
            if (slot == 0) {
                slot = insert(holdId);
                count.setRelease(count.getPlain() + 1);
            } else {
                before = UnsafeApi.getInt(slot + STATE);
            }
            copyIn(slot, holdId, values, utf8);
            countActive(before, values.state());
        } finally {
            endWrite(seq);
        }
        if (ops != null && ops.recording()) {
            ops.holdPut(holdId, values);
        }
    }

    /** Changes the state of an existing hold; false if there is none. */
    public boolean setState(long holdId, int state) {
        if (!HoldState.isValid(state)) {
            throw new IllegalArgumentException("state must be a HoldState constant, was " + state);
        }
        long slot = slotAddress(holdId);
        if (slot == 0) {
            return false;
        }
        long seq = beginWrite();
        countActive(UnsafeApi.getInt(slot + STATE), state);
        UnsafeApi.putInt(slot + STATE, state);
        endWrite(seq);
        if (ops != null && ops.recording()) {
            ops.holdState(holdId, state);
        }
        return true;
    }

    /**
     * Copies the hold into {@code out} and, when it is {@link HoldState#ACTIVE}, sets it {@link HoldState#EXPIRED}
     * (recorded as {@link #setState} records it); false when there is none (out untouched) or it was not active. One
     * look-up where {@link #get} and {@link #setState} take two (the shard's expiry of due holds).
     */
    public boolean expireIfActive(long holdId, HoldSnapshot out) {
        long slot = slotAddress(holdId);
        if (slot == 0) {
            return false;
        }
        copyOut(slot, out);
        if (out.state() != HoldState.ACTIVE) {
            return false;
        }
        long seq = beginWrite();
        countActive(HoldState.ACTIVE, HoldState.EXPIRED);
        UnsafeApi.putInt(slot + STATE, HoldState.EXPIRED);
        endWrite(seq);
        if (ops != null && ops.recording()) {
            ops.holdState(holdId, HoldState.EXPIRED);
        }
        return true;
    }

    /** Removes the hold; false if there was none. */
    public boolean remove(long holdId) {
        return remove(holdId, false);
    }

    /**
     * Removes the hold when it is finished (not {@link HoldState#ACTIVE}); false when there is none or it is active.
     * One look-up where {@link #get} and {@link #remove} take two (the shard's removal of finished holds).
     */
    public boolean removeIfFinished(long holdId) {
        return remove(holdId, true);
    }

    private boolean remove(long holdId, boolean onlyFinished) {
        long[] table = buckets;
        int mask = table.length - 1;
        long h = mix(holdId);
        int tag = (int) (h >>> 32);
        for (int i = (int) (h >>> shift); ; i = (i + 1) & mask) {
            long bucket = table[i];
            if (bucket == 0) {
                return false;
            }
            if ((int) (bucket >>> 32) != tag) {
                continue;
            }
            int slotNumber = (int) bucket - 1;
            long slot = address(chunks, slotNumber);
            if (UnsafeApi.getLong(slot + KEY) != holdId) {
                continue;
            }
            int state = UnsafeApi.getInt(slot + STATE);
            if (onlyFinished && state == HoldState.ACTIVE) {
                return false;
            }
            long seq = beginWrite();
            try {
                countActive(state, 0);
                UnsafeApi.putInt(slot + STATE, 0);
                UnsafeApi.putLong(slot + KEY, 0);
                shiftBack(table, i);
                freeSlots.addInt(slotNumber);
                count.setRelease(count.getPlain() - 1);
            } finally {
                endWrite(seq);
            }
            if (ops != null && ops.recording()) {
                ops.holdRemove(holdId);
            }
            return true;
        }
    }

    /** Visits every hold; see {@link HoldVisitor} for what the visitor may do. */
    public void forEach(HoldVisitor visitor) {
        HoldSnapshot snapshot = new HoldSnapshot();
        int end = highWater;
        for (int n = 0; n < end; n++) {
            long holdId;
            boolean present;
            while (true) {
                long seq = beginRead();
                long slot = address(chunks, n);
                present = slot != 0 && UnsafeApi.getInt(slot + STATE) != 0;
                holdId = 0;
                if (present) {
                    holdId = UnsafeApi.getLong(slot + KEY);
                    copyOut(slot, snapshot);
                }
                if (validRead(seq)) {
                    break;
                }
            }
            if (present) {
                visitor.visit(holdId, snapshot);
            }
        }
    }

    /**
     * Visits every hold with only what the start-up's reconciliation reads (no copy of the funding splits; the
     * borrower id decoded for active holds only). Same rules as {@link #forEach}: the borrower id is reused, copy
     * it to keep it.
     */
    public void forEachBrief(BriefVisitor visitor) {
        StringBuilder borrowerId = new StringBuilder(StateConfig.MAX_ID_CHARS);
        int end = highWater;
        for (int n = 0; n < end; n++) {
            long holdId;
            int state;
            long expiresMs;
            int product;
            long amountMinor;
            while (true) {
                long seq = beginRead();
                long slot = address(chunks, n);
                state = slot == 0 ? 0 : UnsafeApi.getInt(slot + STATE);
                holdId = 0;
                expiresMs = 0;
                product = 0;
                amountMinor = 0;
                borrowerId.setLength(0);
                if (state != 0) {
                    holdId = UnsafeApi.getLong(slot + KEY);
                    expiresMs = UnsafeApi.getLong(slot + EXPIRES);
                    product = UnsafeApi.getByte(slot + PRODUCT);
                    amountMinor = UnsafeApi.getLong(slot + AMOUNT);
                    if (state == HoldState.ACTIVE) {
                        readBorrowerId(slot, borrowerId);
                    }
                }
                if (validRead(seq)) {
                    break;
                }
            }
            if (HoldState.isValid(state)) {
                visitor.visit(holdId, state, expiresMs, borrowerId, product, amountMinor);
            }
        }
    }

    /** Receives holds from {@link #forEachBrief} (on the iterating thread, a copy of each hold's fields). */
    @FunctionalInterface
    public interface BriefVisitor {
        /** {@code borrowerId} is empty unless {@code state} is {@link HoldState#ACTIVE}. */
        void visit(long holdId, int state, long expiresMs, CharSequence borrowerId, int product, long amountMinor);
    }

    /** Gives the memory back. The writer's; no reader may be in the book (the server closes after its loops). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        long[] owned = chunks;
        highWater = 0;
        chunks = new long[0];
        buckets = new long[MIN_BUCKETS];
        count.set(0);
        active.set(0);
        for (long chunk : owned) {
            if (chunk != 0) {
                ChunkMemory.free(chunk, CHUNK_BYTES);
            }
        }
    }

    // ---- the index ----------------------------------------------------------------------------------

    /** The address of the hold's slot, or 0 when there is none. Any thread; a reader validates afterwards. */
    private long slotAddress(long holdId) {
        long[] table = buckets;
        long[] owned = chunks;
        int mask = table.length - 1;
        long h = mix(holdId);
        int tag = (int) (h >>> 32);
        int home = (int) (h >>> (64 - Integer.numberOfTrailingZeros(table.length)));
        for (int i = home, probes = 0; probes <= mask; i = (i + 1) & mask, probes++) {
            long bucket = table[i];
            if (bucket == 0) {
                return 0;
            }
            if ((int) (bucket >>> 32) == tag) {
                long slot = address(owned, (int) bucket - 1);
                if (slot != 0 && UnsafeApi.getLong(slot + KEY) == holdId) {
                    return slot;
                }
            }
        }
        return 0; // only a reader racing a resize gets here; it retries
    }

    /** A new hold's slot, indexed (the writer, inside a write; the caller checked there is room). */
    private long insert(long holdId) {
        if (2L * (count.getPlain() + 1) > buckets.length) {
            resize(buckets.length * 2);
        }
        int slotNumber = freeSlots.isEmpty() ? newSlot() : freeSlots.popInt();
        long[] table = buckets;
        int mask = table.length - 1;
        long h = mix(holdId);
        int i = (int) (h >>> shift);
        while (table[i] != 0) {
            i = (i + 1) & mask;
        }
        table[i] = (h & 0xFFFF_FFFF_0000_0000L) | (slotNumber + 1L);
        return address(chunks, slotNumber);
    }

    private int newSlot() {
        int slotNumber = highWater;
        int chunk = slotNumber >>> CHUNK_SHIFT;
        long[] owned = chunks;
        if (chunk >= owned.length) {
            long[] grown = Arrays.copyOf(owned, Math.max(4, owned.length * 2));
            grown[chunk] = ChunkMemory.allocate(CHUNK_BYTES, false);
            chunks = grown;
        } else if (owned[chunk] == 0) {
            long[] grown = owned.clone(); // a new array, so that a reader sees the chunk only with its address
            grown[chunk] = ChunkMemory.allocate(CHUNK_BYTES, false);
            chunks = grown;
        }
        highWater = slotNumber + 1;
        return slotNumber;
    }

    /** After the bucket at {@code hole} was emptied: moves each later bucket of the run that may fill it. */
    private void shiftBack(long[] table, int hole) {
        int mask = table.length - 1;
        int bits = Integer.numberOfTrailingZeros(table.length);
        table[hole] = 0;
        for (int i = (hole + 1) & mask; table[i] != 0; i = (i + 1) & mask) {
            int home = (int) (table[i] >>> (64 - bits));
            // the bucket may move to the hole when its home is not cyclically within (hole, i]
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                table[hole] = table[i];
                table[i] = 0;
                hole = i;
            }
        }
    }

    private void resize(int newLength) {
        long[] old = buckets;
        long[] table = new long[newLength];
        int mask = newLength - 1;
        int newShift = 64 - Integer.numberOfTrailingZeros(newLength);
        for (long bucket : old) {
            if (bucket != 0) {
                int i = (int) (bucket >>> newShift);
                while (table[i] != 0) {
                    i = (i + 1) & mask;
                }
                table[i] = bucket;
            }
        }
        shift = newShift;
        buckets = table;
    }

    private static long mix(long holdId) {
        return holdId * 0x9E37_79B9_7F4A_7C15L; // Fibonacci hashing: the high bits mix every bit of the id
    }

    /** The slot's address in {@code owned}, or 0 when that copy of the chunks has no such slot (a stale read). */
    private static long address(long[] owned, int slotNumber) {
        int chunk = slotNumber >>> CHUNK_SHIFT;
        if (slotNumber < 0 || chunk >= owned.length || owned[chunk] == 0) {
            return 0;
        }
        return owned[chunk] + (long) (slotNumber & (SLOTS_PER_CHUNK - 1)) * SLOT_BYTES;
    }

    // ---- the seqlock --------------------------------------------------------------------------------

    private long beginWrite() {
        long seq = sequence.getPlain() + 1;
        sequence.setOpaque(seq);
        VarHandle.storeStoreFence(); // the odd sequence is seen before any change
        return seq;
    }

    private void endWrite(long seq) {
        sequence.setRelease(seq + 1);
    }

    private long beginRead() {
        while (true) {
            long seq = sequence.getAcquire();
            if ((seq & 1) == 0) {
                return seq;
            }
            Thread.onSpinWait(); // the writer is inside a change of a few stores
        }
    }

    private boolean validRead(long seq) {
        VarHandle.loadLoadFence(); // the copy's loads complete before the sequence is read again
        return sequence.getOpaque() == seq;
    }

    // ---- the slot's fields --------------------------------------------------------------------------

    private void countActive(int before, int after) {
        int delta = (after == HoldState.ACTIVE ? 1 : 0) - (before == HoldState.ACTIVE ? 1 : 0);
        if (delta != 0) {
            active.setRelease(active.getPlain() + delta); // one writer: no read-modify-write instruction needed
        }
    }

    private static void copyIn(long slot, long holdId, HoldSnapshot v, byte[] utf8) {
        UnsafeApi.putLong(slot + KEY, holdId);
        UnsafeApi.putLong(slot + AMOUNT, v.amountMinor());
        UnsafeApi.putLong(slot + CREATED, v.createdMs());
        UnsafeApi.putLong(slot + EXPIRES, v.expiresMs());
        UnsafeApi.putLong(slot + REQUEST_HASH, v.requestIdHash());
        int funding = v.fundingCount();
        for (int i = 0; i < HoldSnapshot.MAX_FUNDING_SPLITS; i++) {
            UnsafeApi.putLong(slot + FUNDING_AMOUNTS + 8L * i, i < funding ? v.fundingAmountMinor(i) : 0);
            UnsafeApi.putInt(slot + FUNDER_INDEXES + 4L * i, i < funding ? v.funderIndex(i) : 0);
        }
        UnsafeApi.putInt(slot + STATE, v.state());
        UnsafeApi.putByte(slot + PRODUCT, (byte) v.product());
        UnsafeApi.putByte(slot + FUNDING_COUNT, (byte) funding);
        CharSequence id = v.borrowerId();
        if (utf8 == null) {
            int length = id.length();
            for (int i = 0; i < length; i++) {
                UnsafeApi.putByte(slot + ID + i, (byte) id.charAt(i));
            }
            UnsafeApi.putByte(slot + ID_BYTES, (byte) length);
            UnsafeApi.putByte(slot + ID_UTF8, (byte) 0);
        } else {
            for (int i = 0; i < utf8.length; i++) {
                UnsafeApi.putByte(slot + ID + i, utf8[i]);
            }
            UnsafeApi.putByte(slot + ID_BYTES, (byte) utf8.length);
            UnsafeApi.putByte(slot + ID_UTF8, (byte) 1);
        }
    }

    /** Copies every field (a reader may copy a slot mid-change: it validates before it trusts the copy). */
    private static void copyOut(long slot, HoldSnapshot out) {
        readBorrowerId(slot, out.borrowerId());
        out.product(UnsafeApi.getByte(slot + PRODUCT)).amountMinor(UnsafeApi.getLong(slot + AMOUNT))
                .createdMs(UnsafeApi.getLong(slot + CREATED)).expiresMs(UnsafeApi.getLong(slot + EXPIRES))
                .state(UnsafeApi.getInt(slot + STATE)).requestIdHash(UnsafeApi.getLong(slot + REQUEST_HASH));
        out.clearFunding();
        int funding = Math.min(Math.max(UnsafeApi.getByte(slot + FUNDING_COUNT), 0), HoldSnapshot.MAX_FUNDING_SPLITS);
        for (int i = 0; i < funding; i++) {
            out.addFunding(UnsafeApi.getInt(slot + FUNDER_INDEXES + 4L * i),
                    UnsafeApi.getLong(slot + FUNDING_AMOUNTS + 8L * i));
        }
    }

    private static void readBorrowerId(long slot, StringBuilder out) {
        out.setLength(0);
        int length = Math.min(UnsafeApi.getByte(slot + ID_BYTES) & 0xFF, MAX_ID_BYTES);
        if (UnsafeApi.getByte(slot + ID_UTF8) == 0) {
            for (int i = 0; i < length; i++) {
                out.append((char) (UnsafeApi.getByte(slot + ID + i) & 0x7F));
            }
        } else {
            byte[] bytes = new byte[length];
            for (int i = 0; i < length; i++) {
                bytes[i] = UnsafeApi.getByte(slot + ID + i);
            }
            out.append(new String(bytes, StandardCharsets.UTF_8));
        }
    }

    /** The id's UTF-8 bytes when it has a character outside ASCII, else null (stored a byte a character). */
    private static byte[] utf8IfNotAscii(CharSequence id) {
        for (int i = 0, n = id.length(); i < n; i++) {
            if (id.charAt(i) > 0x7F) {
                return id.toString().getBytes(StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the holds table is closed");
        }
    }
}
