package dev.formica.engine.state;

import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntUnaryOperator;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * Device, IP and merchant velocity across the nodes of a cluster without replication (docs/cluster.md, "Velocity
 * across nodes"): every key has an owner, the node that owns the partition of its table hash, and what each node
 * counted for the key reaches the owner, and what the others counted comes back from it, off the decision path.
 *
 * <p>Three tables beside the node's own ({@code local}: its Decides' adds, journaled, rebuilt by replay):
 * <ul>
 *   <li>{@code remote}: what the other nodes counted. For a key this node owns, the sum of their contributions; for a
 *       key another node owns, the owner's total without this node's part, as of the last exchange with the owner.
 *       A Decide reads {@code local + remote}: its own node's adds at once, the others' within the exchange's lag.</li>
 *   <li>{@code contributions}: for keys this node owns, each other node's own words as it last sent them, joined
 *       with {@link VelocityWords#max}: a node's words are its state, not increments, so a resent or replayed batch
 *       counts once.</li>
 * </ul>
 *
 * <p>The exchange is pulled: each node asks each other node, every {@link #INTERVAL_MS}, with its words of the keys
 * that node owns which changed here ({@link #outgoing}), and gets back the totals without its part of the keys
 * the other owns which changed since its cursor in that owner's change log ({@link #exchange}, {@link #accept}).
 * A node that starts (or a cursor the change log no longer covers, or a restarted owner: its epoch changed) is
 * brought up to date by a scan of every key instead.
 *
 * <p>Thread contract: {@link #counted} from any shard thread, lock-free (a table read and a ring-buffer write);
 * everything else, from the exchange's threads and the gRPC handlers, under this object's lock.
 */
public final class VelocityShares implements AutoCloseable {
    /** How often a node exchanges with each other node, milliseconds. */
    public static final long INTERVAL_MS = 20;
    /** At most this many keys travel in one direction of one exchange. */
    public static final int MAX_KEYS = 1024;
    /** An exchange with no scan in progress (a slot number otherwise). */
    public static final long NO_SCAN = -1;
    private static final int CHANGES = 1 << 16;
    private static final int DIRTY_BYTES = 1 << 20;

    private final VelocityWindows local;
    private final VelocityWindows remote;
    private final VelocityWindows contributions;
    private final int nodes;
    private final int self;
    private final IntUnaryOperator ownerOfPartition;
    private final long epoch;
    private final UnsafeBuffer dirtyBytes;
    private final ManyToOneRingBuffer dirty;
    private final AtomicLong overflows = new AtomicLong();
    private final long[] changes = new long[CHANGES];
    private long head;
    private final LongHashSet[] pending;
    private final long[] outScan;
    /** Keys of {@code pending} taken into the call under way, until it is answered or failed. */
    private final int[] inFlight;
    private final long[] seenEpoch;
    private final long[] cursor;
    private final long[] inScan;
    private final AtomicLongArray sentComplete;
    private final AtomicLongArray receivedComplete;
    private final long[] scratch = new long[VelocityWindows.SLOT_WORDS];
    private final long[] acc = new long[VelocityWindows.SLOT_WORDS];

    /** Keys and their words, in one direction of one exchange. */
    public static final class Batch {
        private final LongHashSet seen = new LongHashSet();
        private int size;
        private long[] hashes = new long[16];
        private long[][] words = new long[16][];

        public int size() {
            return size;
        }

        public long hash(int i) {
            return hashes[i];
        }

        public long[] words(int i) {
            return words[i];
        }

        /** Adds a key and a copy of its words; a key already in the batch is not added twice. */
        public void add(long hash, long[] keyWords) {
            if (!seen.add(hash)) {
                return;
            }
            if (size == hashes.length) {
                hashes = java.util.Arrays.copyOf(hashes, size * 2);
                words = java.util.Arrays.copyOf(words, size * 2);
            }
            hashes[size] = hash;
            words[size++] = keyWords.clone();
        }
    }

    /**
     * What an owner answers: its epoch, the requester's next cursor and scan slot, the totals, and whether they reach
     * the end of its change log (nothing more to take now).
     */
    public record Reply(long epoch, long cursor, long scanSlot, boolean caughtUp, Batch others) {
    }

    /**
     * @param local the node's table (its Decides' adds)
     * @param velocityKeys the size of the two tables this makes, as {@code velocityKeys}
     * @param ownerOfPartition the node that owns a partition (0..255)
     */
    public VelocityShares(VelocityWindows local, int velocityKeys, int nodes, int self,
            IntUnaryOperator ownerOfPartition) throws IOException {
        this.local = local;
        this.nodes = nodes;
        this.self = self;
        this.ownerOfPartition = ownerOfPartition;
        long e = ThreadLocalRandom.current().nextLong();
        this.epoch = e == 0 ? 1 : e;
        this.dirtyBytes = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(
                DIRTY_BYTES + RingBufferDescriptor.TRAILER_LENGTH));
        this.dirty = new ManyToOneRingBuffer(dirtyBytes);
        this.pending = new LongHashSet[nodes];
        this.outScan = new long[nodes];
        this.inFlight = new int[nodes];
        this.seenEpoch = new long[nodes];
        this.cursor = new long[nodes];
        this.inScan = new long[nodes];
        this.sentComplete = new AtomicLongArray(nodes);
        this.receivedComplete = new AtomicLongArray(nodes);
        for (int n = 0; n < nodes; n++) {
            pending[n] = new LongHashSet();
            outScan[n] = 0; // a start sends every key the peer owns: the replay added them without marking them
            inScan[n] = NO_SCAN;
        }
        VelocityWindows r = VelocityWindows.inMemory(velocityKeys);
        try {
            this.contributions = VelocityWindows.inMemory(velocityKeys);
        } catch (IOException | RuntimeException ex) {
            r.close();
            throw ex;
        }
        this.remote = r;
    }

    /** The partition of a key's table hash: its top byte. */
    public static int partition(long hash) {
        return (int) (hash >>> 56) & 255;
    }

    public int owner(long hash) {
        return ownerOfPartition.applyAsInt(partition(hash));
    }

    public int self() {
        return self;
    }

    public int nodes() {
        return nodes;
    }

    /** This process's epoch: a restart of the node is a new one (its owners then resend everything). */
    public long epoch() {
        return epoch;
    }

    /**
     * The decision path, after the node's own table was read into {@code reading}: adds what the other nodes
     * counted, and when this Decide counted ({@code added}), queues the key for its owner or for the node's change log.
     */
    public void counted(long hash, long nowMs, VelocityReading reading, boolean added) {
        remote.readAdd(hash, nowMs, reading);
        if (added) {
            int index = dirty.tryClaim(1, 8);
            if (index > 0) {
                dirtyBytes.putLong(index, hash);
                dirty.commit(index);
            } else {
                overflows.incrementAndGet(); // drained as a scan of every key: late, never lost
            }
        }
    }

    /** Keys queued on the decision path, dropped because the queue was full (each one caused a full scan). */
    public long overflows() {
        return overflows.get();
    }

    private long drainedOverflows;

    /** Moves the decision path's queue to the per-node sets and the change log; under the lock. */
    private void drain() {
        dirty.read((type, buffer, index, length) -> {
            long hash = buffer.getLong(index);
            int owner = owner(hash);
            if (owner == self) {
                changed(hash);
            } else {
                pending[owner].add(hash);
            }
        }, Integer.MAX_VALUE);
        long o = overflows.get();
        if (o != drainedOverflows) {
            drainedOverflows = o;
            for (int n = 0; n < nodes; n++) {
                outScan[n] = 0;
            }
            head += CHANGES + 1; // every requester's cursor falls out of the log: each gets a scan
        }
    }

    private void changed(long hash) {
        changes[(int) (head & (CHANGES - 1))] = hash;
        head++;
    }

    /** The node's words of keys {@code peer} owns that it has not sent yet (a slice of a scan after a start). */
    public synchronized Batch outgoing(int peer) {
        drain();
        Batch batch = new Batch();
        if (outScan[peer] != NO_SCAN) {
            long slot = outScan[peer];
            int cap = local.capacity();
            while (slot < cap && batch.size() < MAX_KEYS) {
                long hash = local.keyAt((int) slot++);
                if (hash != 0 && owner(hash) == peer && local.words(hash, scratch)) {
                    batch.add(hash, scratch);
                }
            }
            outScan[peer] = slot >= cap ? NO_SCAN : slot;
            return batch; // pending keys stay: one the scan passed may have changed since
        }
        LongHashSet.LongIterator it = pending[peer].iterator();
        while (it.hasNext() && batch.size() < MAX_KEYS) {
            long hash = it.nextValue();
            it.remove();
            if (local.words(hash, scratch)) {
                batch.add(hash, scratch);
            }
        }
        inFlight[peer] = batch.size();
        return batch;
    }

    /** The batch {@code outgoing} gave did not arrive: its keys go again. */
    public synchronized void undelivered(int peer, Batch batch, boolean wasScan) {
        inFlight[peer] = 0;
        if (wasScan) {
            outScan[peer] = 0;
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            pending[peer].add(batch.hash(i));
        }
    }

    /** True while this node still owes {@code peer} a scan of its keys. */
    public synchronized boolean scanning(int peer) {
        return outScan[peer] != NO_SCAN;
    }

    /** This node's nothing-pending state toward {@code peer}: what the next request says it has sent. */
    public synchronized boolean complete(int peer) {
        return outScan[peer] == NO_SCAN && pending[peer].isEmpty();
    }

    public synchronized long seenEpoch(int peer) {
        return seenEpoch[peer];
    }

    public synchronized long cursor(int peer) {
        return cursor[peer];
    }

    public synchronized long scanSlot(int peer) {
        return inScan[peer];
    }

    /**
     * Takes an owner's reply: its totals without this node's part replace the remote words of its keys. A new
     * epoch (the owner restarted, or the first reply) has this node send it every key it owns again.
     *
     * @param sentAll this node had nothing left to send the owner when it asked
     * @param askedMs when this node took the keys it sent ({@link #outgoing}): with {@code sentAll} and a reply
     *     caught up, every Decide here before that time has reached the owner, and the owner's totals are newer
     */
    public synchronized void accept(int peer, Reply reply, boolean sentAll, long askedMs, long nowMs) {
        inFlight[peer] = 0;
        if (reply.epoch() != seenEpoch[peer]) {
            if (seenEpoch[peer] != 0) {
                outScan[peer] = 0; // a restarted owner lost what this node had sent it
                sentAll = false;
            }
            seenEpoch[peer] = reply.epoch();
        }
        Batch others = reply.others();
        for (int i = 0; i < others.size(); i++) {
            long hash = others.hash(i);
            if (owner(hash) == peer) {
                remote.setWords(hash, others.words(i), nowMs);
            }
        }
        cursor[peer] = reply.cursor();
        inScan[peer] = reply.scanSlot();
        if (sentAll && reply.caughtUp()) {
            sentComplete.set(peer, askedMs);
        }
    }

    /**
     * The owner's side of an exchange with {@code origin}: joins the origin's words of keys this node owns, then
     * answers the totals without the origin's part of the keys that changed since {@code fromCursor} (or a slice
     * of a scan of every key, when asked for one, when the cursor is older than the change log, or when the origin
     * last saw another epoch of this node).
     *
     * @param originComplete the origin has sent everything it counted for this node's keys
     */
    public synchronized Reply exchange(int origin, long originSeenEpoch, long fromCursor, long scanSlot,
            boolean originComplete, Batch counts, long nowMs) {
        drain();
        for (int i = 0; i < counts.size(); i++) {
            long hash = counts.hash(i);
            if (owner(hash) != self) {
                continue; // not this node's key (a map the origin has wrong): never counted here
            }
            long key = contributionKey(hash, origin);
            contributions.words(key, scratch);
            VelocityWords.dropFuture(counts.words(i), nowMs);
            if (VelocityWords.max(scratch, counts.words(i))) {
                contributions.setWords(key, scratch, nowMs);
                othersTotal(hash, self, acc);
                remote.setWords(hash, acc, nowMs);
                changed(hash);
            }
        }
        Batch others = new Batch();
        long slot = scanSlot;
        long next = fromCursor;
        if (originSeenEpoch != epoch
                || scanSlot == NO_SCAN && (fromCursor > head || head - fromCursor > CHANGES)) {
            slot = 0; // a scan, then the change log from where it stands now
            next = head;
        }
        // a scan under way goes on even when its cursor has left the log meanwhile (the next request then starts
        // another): restarting it would never end one under a steady churn of changes
        long scanEnd = NO_SCAN;
        if (slot != NO_SCAN) {
            int cap = local.capacity() + remote.capacity();
            while (slot < cap && others.size() < MAX_KEYS) {
                long hash = slot < local.capacity() ? local.keyAt((int) slot)
                        : remote.keyAt((int) (slot - local.capacity()));
                slot++;
                if (hash != 0 && owner(hash) == self) {
                    othersFor(hash, origin, others);
                }
            }
            scanEnd = slot >= cap ? NO_SCAN : slot;
        } else {
            while (next < head && others.size() < MAX_KEYS) {
                othersFor(changes[(int) (next & (CHANGES - 1))], origin, others);
                next++;
            }
        }
        if (originComplete) {
            receivedComplete.set(origin, nowMs);
        }
        return new Reply(epoch, next, scanEnd, scanEnd == NO_SCAN && next == head, others);
    }

    private void othersFor(long hash, int origin, Batch others) {
        othersTotal(hash, origin, acc);
        local.words(hash, scratch);
        VelocityWords.sum(acc, scratch);
        others.add(hash, acc);
    }

    /** The sum of the contributions of every node but {@code self} and {@code except} to a key this node owns. */
    private void othersTotal(long hash, int except, long[] total) {
        java.util.Arrays.fill(total, 0L);
        for (int n = 0; n < nodes; n++) {
            if (n != self && n != except && contributions.words(contributionKey(hash, n), scratch)) {
                VelocityWords.sum(total, scratch);
            }
        }
    }

    private static long contributionKey(long hash, int node) {
        long h = hash ^ (0xC2B2AE3D27D4EB4FL * (node + 1));
        h ^= h >>> 31;
        h *= 0x94D049BB133111EBL;
        h ^= h >>> 29;
        return h == 0 ? 1 : h;
    }

    /** Keys counted here for {@code peer}'s keys and not yet sent to it (or in a call not yet answered). */
    public synchronized int pendingKeys(int peer) {
        drain();
        return pending[peer].size() + inFlight[peer];
    }

    /**
     * The older of two times, 0 when either has not happened since this node started: when this node last asked
     * {@code peer} with everything it had counted for the peer's keys and got the peer's totals up to the end of its
     * change log (the time it asked), and when {@code peer} last asked this node with everything it had counted for
     * this node's keys (the time its call arrived). Every count made anywhere before it (less that call's transit)
     * is in every Decide's reading here.
     */
    public long syncedMs(int peer) {
        return Math.min(sentComplete.get(peer), receivedComplete.get(peer));
    }

    @Override
    public void close() {
        remote.close();
        contributions.close();
        org.agrona.BufferUtil.free(dirtyBytes.byteBuffer());
    }
}
