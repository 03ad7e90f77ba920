package dev.formica.engine.funding;

import dev.formica.engine.files.OwnerOnly;
import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Origination quotas of the funders: how much each has originated in total and today, against its
 * {@link FunderSpec} limits. One memory-mapped table for the whole engine, shared by all shards; its usage counters are
 * rebuilt from the shard logs at start-up ({@link #resetUsage}, {@link #replayReserve}), so the file's own
 * copy of them is a cache, and only the funders' slots (written with a sync) must outlive a crash.
 *
 * <p>Thread contract: {@link #tryReserve}, {@link #reserveUpTo}, {@link #release} and the reads are lock-free and
 * allocation-free from any thread. Each counter is one 64-bit word changed by compare-and-set loops, so concurrent
 * reservations never take a funder past its total or its daily quota. A reservation touches two words (total,
 * then today) and undoes the first when the second refuses; while such an undo is in flight another reservation
 * can be refused although the quota would have sufficed — a conservative, transient refusal, never an
 * over-allocation. When only one of the two quotas binds, concurrent reservations use it up exactly.
 * {@link #configure} (rare, at start-up or rule-set activation) is synchronised and swaps the limits atomically.
 * One process per file.
 *
 * <p>Semantics: quotas are <em>origination</em> quotas. A reservation counts against the total and against the
 * UTC day given by the caller (the day of the decision time); {@link #release} (Cancel, hold expiry) gives the
 * amount back to the total, and to the daily quota only while it is still the same UTC day — yesterday's
 * origination capacity is gone. Repayments are not tracked here. A reservation for an older day than the one
 * stored (a late thread across midnight) counts against the newer day; {@link FundingAllocator} records the day
 * each part was charged to, so its release returns the daily quota of the right day. A caller of the public
 * {@link #tryReserve} who releases such a late reservation with its own (older) day gets the total back but not
 * the newer day's quota: conservative, and only for a reservation racing midnight.
 *
 * <p>Layout: a 64-byte header (magic, layout version, slot size, slot count), then {@value #CAPACITY} slots of
 * 64 bytes (one cache line each): used total (long), today's word (long: the UTC day index in the top 20 bits,
 * the amount used that day in the low 44), the funder id (length byte and up to 40 ASCII bytes). A funder keeps
 * its slot for the life of the file, so a funder index is stable across restarts and configuration changes and
 * may be stored with a hold. Durability is the page cache's: a process crash keeps every completed update.
 * The file is created owner-only.
 */
public final class FundingQuotas implements AutoCloseable, QuotaSink {
    /** Slots in a file: the most funders it can ever know. */
    public static final int CAPACITY = 64;
    private static final int MAGIC = 0x46514e31; // "FQN1"
    private static final int VERSION = 1;
    private static final int HEADER = 64;
    private static final int SLOT_BYTES = 64;
    // a slot starts with the two words of QuotaWords: used total at 0, today's word at 8
    private static final int ID_LENGTH = 16;
    private static final int ID_BYTES = 17;
    private static final int DAY_SHIFT = QuotaWords.DAY_SHIFT;
    private static final long USED_MASK = QuotaWords.USED_MASK;
    private static final long MS_PER_DAY = 86_400_000L;

    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final String[] ids = new String[CAPACITY];
    private volatile long[][] limits = {new long[CAPACITY], new long[CAPACITY]}; // {total, daily} per slot
    /** The funders of each group (market) as last configured; guarded by the monitor. */
    private final java.util.Map<String, List<FunderSpec>> groups = new java.util.HashMap<>();
    /**
     * The Raft groups' leases of a replicated node ({@link #leases}); null = none (a single node, no replication).
     * Set at start-up before the threads that reserve start (their start publishes it).
     */
    private QuotaLeases leases;

    private FundingQuotas(MappedByteBuffer mapped) {
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
        for (int slot = 0; slot < CAPACITY; slot++) {
            int length = buffer.getByteVolatile(offset(slot) + ID_LENGTH);
            if (length > 0) {
                byte[] id = new byte[length];
                buffer.getBytes(offset(slot) + ID_BYTES, id);
                ids[slot] = new String(id, StandardCharsets.US_ASCII);
            }
        }
    }

    /**
     * Opens the table, creating it (owner-only) when absent; every funder's limits are 0 until {@link #configure}.
     *
     * @throws IOException when the file is not a quota table of this layout (the message says what it found)
     */
    public static FundingQuotas open(Path file) throws IOException {
        File f = file.toFile();
        long length = HEADER + (long) CAPACITY * SLOT_BYTES;
        if (!f.exists()) {
            // made whole under another name, then renamed: a start that dies (or a power cut) while the file is
            // made leaves no table without its header under the real name (seen: "magic 0", the next start refused)
            Path fresh = file.resolveSibling(file.getFileName() + ".new");
            java.nio.file.Files.deleteIfExists(fresh); // such a start's leftover
            MappedByteBuffer created = IoUtil.mapExistingFile(OwnerOnly.file(fresh, length).toFile(),
                    "funding quotas");
            UnsafeBuffer header = new UnsafeBuffer(created);
            header.putInt(4, VERSION);
            header.putInt(8, SLOT_BYTES);
            header.putInt(12, CAPACITY);
            header.putIntOrdered(0, MAGIC);
            created.force();
            java.nio.file.Files.move(fresh, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            dev.formica.engine.files.Fsync.directory(file.toAbsolutePath().getParent());
            return new FundingQuotas(created); // the mapping follows the file through the rename
        }
        if (f.length() < HEADER) {
            throw new IOException(file + " is not a Formica funding quota table (" + f.length() + " bytes)");
        }
        MappedByteBuffer existing = IoUtil.mapExistingFile(f, "funding quotas");
        UnsafeBuffer header = new UnsafeBuffer(existing);
        String problem = null;
        if (header.getInt(0) != MAGIC) {
            problem = "is not a Formica funding quota table (magic " + Integer.toHexString(header.getInt(0)) + ")";
        } else if (header.getInt(4) != VERSION || header.getInt(8) != SLOT_BYTES || header.getInt(12) != CAPACITY
                || f.length() != length) {
            problem = "has layout version " + header.getInt(4) + " with " + header.getInt(12) + " slots of "
                    + header.getInt(8) + " bytes (" + f.length() + " bytes); this engine reads version " + VERSION
                    + " with " + CAPACITY + " slots of " + SLOT_BYTES + " bytes: move the file aside to start afresh";
        }
        if (problem != null) {
            IoUtil.unmap(existing);
            throw new IOException(file + " " + problem);
        }
        return new FundingQuotas(existing);
    }

    /**
     * Binds each funder to its slot (a new funder takes a free one) and sets the limits of all at once; funders
     * the table knows but {@code funders} does not list get limits 0 (no new reservations; releases still count).
     * The one group of a one-market engine: {@code configure("", funders)}.
     *
     * @return the slot of each funder, in the order of {@code funders}
     * @throws IllegalArgumentException for a duplicate id or when all {@value #CAPACITY} slots are taken
     */
    public int[] configure(List<FunderSpec> funders) {
        return configure("", funders);
    }

    /**
     * As {@link #configure(List)} for one group of funders (a market's: their ids carry the market's prefix, so
     * the groups never share a slot), keeping the limits of the other groups; funders the table knows but no group
     * lists get limits 0.
     */
    public synchronized int[] configure(String group, List<FunderSpec> funders) {
        int[] slots = new int[funders.size()];
        for (int i = 0; i < funders.size(); i++) {
            FunderSpec spec = funders.get(i);
            int slot = indexOf(spec.id());
            if (slot < 0) {
                slot = claim(spec.id());
            } else if (contains(slots, i, slot)) {
                throw new IllegalArgumentException("funders: " + spec.id() + " is listed twice");
            }
            slots[i] = slot;
        }
        groups.put(group, List.copyOf(funders));
        long[] total = new long[CAPACITY];
        long[] daily = new long[CAPACITY];
        for (List<FunderSpec> specs : groups.values()) {
            for (FunderSpec spec : specs) {
                int slot = indexOf(spec.id());
                total[slot] = spec.totalQuotaMinor();
                daily[slot] = spec.dailyQuotaMinor();
            }
        }
        limits = new long[][] {total, daily};
        return slots;
    }

    private static boolean contains(int[] slots, int count, int slot) {
        for (int i = 0; i < count; i++) {
            if (slots[i] == slot) {
                return true;
            }
        }
        return false;
    }

    private int claim(String id) {
        for (int slot = 0; slot < CAPACITY; slot++) {
            if (ids[slot] == null) {
                byte[] bytes = id.getBytes(StandardCharsets.US_ASCII);
                buffer.putBytes(offset(slot) + ID_BYTES, bytes);
                buffer.putByteVolatile(offset(slot) + ID_LENGTH, (byte) bytes.length);
                mapped.force(); // a funder's slot is stored with holds and in the log: it must outlive a power cut
                ids[slot] = id;
                return slot;
            }
        }
        throw new IllegalArgumentException("funders: the quota table holds " + CAPACITY
                + " funders and all slots are taken; cannot add " + id);
    }

    /** The slot of a funder id, -1 when the table does not know it. */
    public int indexOf(String id) {
        for (int slot = 0; slot < CAPACITY; slot++) {
            if (id.equals(ids[slot])) {
                return slot;
            }
        }
        return -1;
    }

    /** The id of the funder in a slot, null for a free slot. */
    public String funderId(int funder) {
        return ids[funder];
    }

    /** The UTC day index (days since 1970-01-01) of an epoch-ms time. */
    public static long dayIndex(long epochMs) {
        return Math.floorDiv(epochMs, MS_PER_DAY);
    }

    /**
     * Reserves exactly {@code amountMinor} of the funder's total and daily quota, or nothing.
     *
     * @return false (and nothing reserved) when either quota lacks room
     */
    public boolean tryReserve(int funder, long amountMinor, long dayIndex) {
        return amountMinor > 0 && amountOf(reserve(funder, amountMinor, dayIndex, true)) == amountMinor;
    }

    /**
     * Reserves as much of {@code maxMinor} as both quotas allow.
     *
     * @return the amount reserved, 0..maxMinor
     */
    public long reserveUpTo(int funder, long maxMinor, long dayIndex) {
        return amountOf(reserve(funder, maxMinor, dayIndex, false));
    }

    /** The amount of a {@link #reserve} answer. */
    static long amountOf(long reservation) {
        return reservation & USED_MASK;
    }

    /** The day a {@link #reserve} answer was charged to: pass it to {@link #release}. */
    static long dayOf(long reservation) {
        return reservation >>> DAY_SHIFT;
    }

    /**
     * Reserves up to {@code maxMinor} (exactly it or nothing when {@code allOrNothing}) and answers the amount and
     * the UTC day it was charged to, packed: {@code day << 44 | amount}. The day is {@code dayIndex}, or the newer
     * day already stored when a late caller's day has passed (the reservation then counts against that newer day).
     */
    long reserve(int funder, long maxMinor, long dayIndex, boolean allOrNothing) {
        long[][] limit = limits;
        return QuotaWords.reserve(buffer, offset(funder), limit[0][funder], limit[1][funder], maxMinor, dayIndex,
                allOrNothing);
    }

    /**
     * Gives back a reservation made on {@code dayIndexOfReservation}: always to the total, to the daily quota only
     * while that day is still the current one. Never takes a counter below zero.
     */
    @Override
    public void release(int funder, long amountMinor, long dayIndexOfReservation) {
        QuotaWords.release(buffer, offset(funder), amountMinor, dayIndexOfReservation);
    }

    /**
     * Turns on the leases of a replicated node of {@code raftGroups} groups (docs/cluster.md, "Partner quotas across
     * groups: leases"): each group's leader may reserve a funder's quotas only within its group's lease, a fixed share
     * of each quota ({@link QuotaLeases#lease}), so the sum over the groups of what their leaders reserve never exceeds
     * a quota whatever the replication lag. Reservations and releases that name a lane (the group) count in that
     * group's lease as well as in the node's table; replayed frames of a group count in its lease through
     * {@link #lane}. Start-up only, before any reservation; {@code raftGroups} 1..255.
     */
    public void leases(int raftGroups) {
        this.leases = new QuotaLeases(raftGroups);
    }

    /** The Raft groups the quotas are leased to, 0 when leases are off. */
    public int leaseGroups() {
        return leases == null ? 0 : leases.groups();
    }

    /**
     * Group {@code group}'s lease of the funder's total quota (the whole quota when leases are off): its fixed share
     * plus what it accepted from other groups less what it gave them ({@link #moveHeadroom}).
     */
    public long leaseTotal(int funder, int group) {
        long total = limits[0][funder];
        QuotaLeases l = leases;
        return l == null ? total : QuotaLeases.lease(total, group, l.groups()) + l.moved(group, funder);
    }

    /**
     * Group {@code group}'s lease of the funder's daily quota on the UTC day {@code dayIndex}
     * ({@link FunderSpec#UNLIMITED_DAILY}: no daily limit): its fixed share plus what it accepted from other groups on
     * that day less what it gave them on that day ({@link #moveHeadroom}); every day starts from the fixed share.
     * 0 for a day older than the group's newest day of the funder (its use or transfers): the group lends nothing more
     * on a day it has left (a late caller's day counts against its newest), and that day's transfers are no longer
     * kept; so the leases of any day add up to at most the daily quota.
     */
    public long leaseDaily(int funder, int group, long dayIndex) {
        long daily = limits[1][funder];
        QuotaLeases l = leases;
        if (l == null || daily >= FunderSpec.UNLIMITED_DAILY) {
            return daily;
        }
        return dayIndex < l.day(group, funder) ? 0
                : QuotaLeases.lease(daily, group, l.groups()) + l.movedDaily(group, funder, dayIndex);
    }

    /** What group {@code group} holds of its lease of the funder's total quota (0 when leases are off). */
    public long leaseUsedTotal(int funder, int group) {
        return leases == null ? 0 : leases.usedTotal(group, funder);
    }

    /** What group {@code group} holds of its lease of the funder's daily quota on the UTC day {@code dayIndex}. */
    public long leaseUsedToday(int funder, int group, long dayIndex) {
        return leases == null ? 0 : leases.usedToday(group, funder, dayIndex);
    }

    /**
     * As {@link #reserve(int, long, long, boolean)}, within group {@code lane}'s lease when leases are on
     * ({@code -1} = no lease: the node's table alone). The lease is reserved first, then the same amount on the same
     * day in the node's table; the node's table refusing it (a lowered limit, or another group's frame that moved its
     * day past this decision's: the moment around midnight) gives the lease back and answers nothing reserved, a
     * conservative refusal.
     */
    long reserve(int funder, long maxMinor, long dayIndex, boolean allOrNothing, int lane) {
        QuotaLeases l = lane < 0 ? null : leases;
        if (l == null) {
            return reserve(funder, maxMinor, dayIndex, allOrNothing);
        }
        if (maxMinor <= 0) {
            return dayIndex << DAY_SHIFT;
        }
        // the group's newest day (of its use or its daily transfers): a late caller's day counts against it, and so
        // does the lease of that day, which holds that day's transfers only (docs/cluster.md, "Moving headroom")
        long day = Math.max(dayIndex, l.day(lane, funder));
        long leased = l.reserve(lane, funder, leaseTotal(funder, lane), leaseDaily(funder, lane, day), maxMinor, day,
                allOrNothing);
        long amount = amountOf(leased);
        if (amount <= 0) {
            return dayIndex << DAY_SHIFT;
        }
        long charged = dayOf(leased);
        long node = reserve(funder, amount, charged, true);
        if (amountOf(node) != amount || dayOf(node) != charged) {
            release(funder, amountOf(node), dayOf(node));
            l.release(lane, funder, amount, charged);
            return dayIndex << DAY_SHIFT;
        }
        return leased;
    }

    /** Gives back to the node's table and to group {@code lane}'s lease ({@code -1}: none), as {@link #release}. */
    public void release(int funder, long amountMinor, long dayIndexOfReservation, int lane) {
        release(funder, amountMinor, dayIndexOfReservation);
        QuotaLeases l = leases;
        if (lane >= 0 && l != null) {
            l.release(lane, funder, amountMinor, dayIndexOfReservation);
        }
    }

    /**
     * Where the replayed quota operations of Raft group {@code group} go on a replicated node: the node's table and,
     * when leases are on, the group's lease (a follower's lease of a group is the group's committed use, so a new
     * leader reserves against it at once).
     */
    public QuotaSink lane(int group) {
        QuotaLeases l = leases;
        if (l == null) {
            return this;
        }
        l.check(group, 0); // refuses a group out of range now, not at the first frame
        return new QuotaSink() {
            @Override
            public void replayReserve(int funder, long amountMinor, long dayIndex) {
                FundingQuotas.this.replayReserve(funder, amountMinor, dayIndex);
                l.replayReserve(group, funder, amountMinor, dayIndex, limits[1][funder] < FunderSpec.UNLIMITED_DAILY);
            }

            @Override
            public void release(int funder, long amountMinor, long dayIndexOfReservation) {
                FundingQuotas.this.release(funder, amountMinor, dayIndexOfReservation, group);
            }

            @Override
            public void give(int funder, int toGroup, long cumulativeMinor) {
                l.give(group, toGroup, funder, cumulativeMinor, true);
            }

            @Override
            public void accept(int funder, int fromGroup, long cumulativeMinor) {
                l.accept(group, fromGroup, funder, cumulativeMinor);
            }

            @Override
            public void giveDaily(int funder, int toGroup, long dayIndex, long cumulativeMinor) {
                l.giveDaily(group, toGroup, funder, dayIndex, cumulativeMinor, true);
            }

            @Override
            public void acceptDaily(int funder, int fromGroup, long dayIndex, long cumulativeMinor) {
                l.acceptDaily(group, fromGroup, funder, dayIndex, cumulativeMinor);
            }
        };
    }

    /** As {@link #restore(int, long, long, long)} for a snapshot of Raft group {@code group}: its lease too. */
    public void restore(int funder, long total, long dayIndex, long used, int group) {
        restore(funder, total, dayIndex, used);
        QuotaLeases l = leases;
        if (l != null) {
            l.restore(group, funder, total, dayIndex, used, limits[1][funder] < FunderSpec.UNLIMITED_DAILY);
        }
    }

    /** What group {@code from} gave group {@code to} of the funder's total quota so far (0 without transfers). */
    public long leaseGiven(int funder, int from, int to) {
        QuotaLeases l = leases;
        return l == null ? 0 : l.given(from, to, funder);
    }

    /** What group {@code to} accepted from group {@code from} of the funder's total quota so far. */
    public long leaseAccepted(int funder, int to, int from) {
        QuotaLeases l = leases;
        return l == null ? 0 : l.accepted(to, from, funder);
    }

    /** What group {@code from} gave group {@code to} of the funder's daily quota on the UTC day {@code dayIndex}. */
    public long leaseGivenDaily(int funder, int from, int to, long dayIndex) {
        QuotaLeases l = leases;
        return l == null || !l.transfers() ? 0 : QuotaLeases.amountOn(l.givenDailyWord(from, to, funder), dayIndex);
    }

    /** What group {@code to} accepted from group {@code from} of the funder's daily quota on {@code dayIndex}. */
    public long leaseAcceptedDaily(int funder, int to, int from, long dayIndex) {
        QuotaLeases l = leases;
        return l == null || !l.transfers() ? 0 : QuotaLeases.amountOn(l.acceptedDailyWord(to, from, funder), dayIndex);
    }

    /** Whether headroom of the quotas moves between the groups' leases ({@link #moveHeadroom}). */
    public boolean leaseTransfers() {
        QuotaLeases l = leases;
        return l != null && l.transfers();
    }

    /**
     * Group {@code group}'s leader moves quota headroom between the leases (docs/cluster.md, "Moving headroom between
     * groups"), on its shard's thread, off the decision path, at the UTC day {@code dayIndex} of its clock; each change
     * is told to {@code log}, which records it in the group's frame. For every funder's total quota, and day by day for
     * its daily quota ({@link QuotaTransfers}):
     * <ol>
     *   <li>it accepts what other groups' committed logs gave it and it has not accepted yet (its lease grows);</li>
     *   <li>when it has the most free headroom of the quota ({@code lease - used}, ties to the lower group) and another
     *   group's free headroom is under a quarter of its fixed share with nothing in flight to it, it gives that group
     *   half the difference (its lease shrinks at once; the other's grows only when it accepts, after this give is
     *   committed: {@link #commitGiven}, {@link #commitGivenDaily}).</li>
     * </ol>
     * What is given and not yet accepted counts in no lease, so the leases never add up to more than the quota.
     *
     * @return the changes made (0 when leases or transfers are off)
     */
    public int moveHeadroom(int group, long dayIndex, TransferLog log) {
        QuotaLeases l = leases;
        if (l == null || !l.transfers()) {
            return 0;
        }
        return QuotaTransfers.move(this, l, limits, group, dayIndex, log);
    }

    /**
     * Group {@code from}'s log has committed its gives of the funder's total quota to group {@code to} up to
     * {@code cumulativeMinor}: group {@code to}'s leader may accept them (any thread: the log's durability
     * callback of the frame that held the give).
     */
    public void commitGiven(int funder, int from, int to, long cumulativeMinor) {
        leases.commitGiven(from, to, funder, cumulativeMinor);
    }

    /** As {@link #commitGiven} for the gives of the funder's daily quota on the UTC day {@code dayIndex}. */
    public void commitGivenDaily(int funder, int from, int to, long dayIndex, long cumulativeMinor) {
        leases.commitGivenDaily(from, to, funder, dayIndex, cumulativeMinor);
    }

    /** Where a leader's {@link #moveHeadroom} records its transfers: its group's log. */
    public interface TransferLog {
        /** The group gave {@code toGroup} {@code cumulativeMinor} of the funder's total quota so far. */
        void gave(int funder, int toGroup, long cumulativeMinor);

        /** The group accepted from {@code fromGroup} {@code cumulativeMinor} of the funder's total quota so far. */
        void accepted(int funder, int fromGroup, long cumulativeMinor);

        /** The group gave {@code toGroup} {@code cumulativeMinor} of the funder's daily quota of {@code dayIndex}. */
        void gaveDaily(int funder, int toGroup, long dayIndex, long cumulativeMinor);

        /** The group accepted from {@code fromGroup} {@code cumulativeMinor} of the daily quota of {@code dayIndex}. */
        void acceptedDaily(int funder, int fromGroup, long dayIndex, long cumulativeMinor);
    }

    /**
     * Forgets every funder's usage (keeps the funder slots): recovery then replays the reservations and releases
     * from the shard logs, which are the source of truth. Start-up only, before any reservation.
     */
    public void resetUsage() {
        for (int slot = 0; slot < CAPACITY; slot++) {
            QuotaWords.clear(buffer, offset(slot));
        }
        QuotaLeases l = leases;
        if (l != null) {
            l.clear();
        }
    }

    /**
     * Replays a reservation the shard log recorded: {@code amountMinor} charged to {@code dayIndex}, with no limit
     * check (the limits may have changed since; the reservation happened).
     */
    @Override
    public void replayReserve(int funder, long amountMinor, long dayIndex) {
        QuotaWords.replayReserve(buffer, offset(funder), amountMinor, dayIndex,
                limits[1][funder] < FunderSpec.UNLIMITED_DAILY);
    }

    /**
     * Adds a shard's snapshot tally: {@code total} originated and not released, {@code used} of it on
     * {@code dayIndex} (start-up only).
     */
    public void restore(int funder, long total, long dayIndex, long used) {
        QuotaWords.restore(buffer, offset(funder), total, dayIndex, used,
                limits[1][funder] < FunderSpec.UNLIMITED_DAILY);
    }

    /** Originated and not released, minor units. */
    public long usedTotal(int funder) {
        return QuotaWords.usedTotal(buffer, offset(funder));
    }

    /** Originated on the UTC day {@code dayIndex} and not released, minor units (0 for a day not yet begun). */
    public long usedToday(int funder, long dayIndex) {
        return QuotaWords.usedToday(buffer, offset(funder), dayIndex);
    }

    /** Total quota left, minor units (never negative, also after a limit was lowered). */
    public long remainingTotal(int funder) {
        return Math.max(0, limits[0][funder] - usedTotal(funder));
    }

    /** Daily quota left on the UTC day {@code dayIndex}, minor units. */
    public long remainingToday(int funder, long dayIndex) {
        return Math.max(0, limits[1][funder] - usedToday(funder, dayIndex));
    }

    /** The funder's configured total quota, minor units. */
    public long totalQuota(int funder) {
        return limits[0][funder];
    }

    /** The funder's configured daily quota, minor units. */
    public long dailyQuota(int funder) {
        return limits[1][funder];
    }

    private static int offset(int slot) {
        if (slot < 0 || slot >= CAPACITY) {
            throw new IndexOutOfBoundsException("funder " + slot + " of " + CAPACITY);
        }
        return HEADER + slot * SLOT_BYTES;
    }

    @Override
    public void close() {
        IoUtil.unmap(mapped);
    }
}
