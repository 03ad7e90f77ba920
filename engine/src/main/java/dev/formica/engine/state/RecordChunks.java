package dev.formica.engine.state;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.UnsafeApi;
import org.agrona.collections.LongArrayList;

/**
 * Where one shard's {@link DecisionRecords} get their off-heap chunks from, so that the shard thread copies its
 * records into memory that is already faulted in.
 *
 * <p><b>Why.</b> A fresh chunk is untouched memory: the record copies that fill it took the first
 * touch of each of its 2,048 pages on the shard thread, 4.8 µs per Decide in the server's profile
 * (docs/perf-notes/2026-12-06-server-cpu-by-component.md; a first touch costs about 18 µs on this VM, most of it
 * below the guest's fault path). Chunks come, in this order, from:
 * <ol>
 * <li><b>the dropped generation</b>: a rotation gives the chunks of the generation it drops back here ({@link
 * #recycle}) instead of freeing them, and the new generation fills them again, already faulted, with no new memory.
 * Whatever is still unused at the next rotation is freed ({@link #trim}): a generation that needs fewer chunks gives
 * the rest back, and the memory held never exceeds what the two generations held before the rotation;</li>
 * <li><b>the chunk faulted ahead</b>: once the shard has taken its first chunk, a helper thread allocates the next
 * one and writes one byte of each of its 4 KiB pages while the shard fills the current one; the shard takes it when
 * the current one is full. Its memory is advised for transparent huge pages ({@link ChunkMemory}): the helper then
 * takes four 2 MiB faults instead of 2,048 small ones, which cost it less CPU;</li>
 * <li><b>new memory, on the taking thread</b>: the first chunk, and any chunk wanted while the one ahead is still
 * being faulted (a burst, or a restart's copy of many chunks), counted by {@link #coldChunks}. Never advised: a 2 MiB
 * fault (or a compaction for one) must not land on an event loop in one go. The shard never waits for the helper.</li>
 * </ol>
 * A chunk's bytes are never assumed zero: the records mark the end of every chunk but the last, whose end is the
 * generation's tail, so a recycled chunk's old records are never read.
 *
 * <p><b>Threading:</b> everything but the fault-ahead runs on the records' thread. The helper (one daemon thread for
 * the JVM, ended after a few idle seconds) only hands its chunk over through {@link #ahead}; at most one fault-ahead
 * per shard is in flight, so it finds {@link #ahead} empty.
 */
final class RecordChunks implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RecordChunks.class);
    private static final int PAGE_BYTES = 4096;
    /** The JVM's fault-ahead thread: a chunk now and then (one per 8 MiB of records), off every shard's thread. */
    static final Executor FAULT_AHEAD = faultAheadThread();

    private final int chunkBytes;
    private final Executor faultAhead;
    /** The chunk faulted ahead, or 0: set by the helper, taken (and emptied) by the records' thread. */
    private final AtomicLong ahead = new AtomicLong();
    /** Chunks of the dropped generation, not yet taken again. */
    private final LongArrayList recycled = new LongArrayList();
    /** Whether a fault-ahead was asked for and its chunk not taken yet (it may still be in flight). */
    private boolean asked;
    private volatile boolean closed;
    private long coldChunks;

    /**
     * @param faultAhead where chunks are faulted ahead ({@link #FAULT_AHEAD}; a test's own executor to hold them)
     */
    RecordChunks(int chunkBytes, Executor faultAhead) {
        this.chunkBytes = chunkBytes;
        this.faultAhead = faultAhead;
    }

    /** The address of a chunk of {@code chunkBytes} for the caller to own: recycled, faulted ahead or new. */
    long take() {
        long address;
        if (!recycled.isEmpty()) {
            address = recycled.popLong();
        } else {
            address = ahead.getAndSet(0);
            if (address != 0) {
                asked = false;
            } else {
                address = ChunkMemory.allocate(chunkBytes, false);
                coldChunks++;
            }
        }
        if (recycled.isEmpty() && !asked) {
            asked = true;
            faultAhead.execute(this::faultAhead);
        }
        return address;
    }

    /** Takes back a chunk of a dropped generation, to be taken again before any other. */
    void recycle(long address) {
        recycled.addLong(address);
    }

    /** Frees the recycled chunks not taken since they were given back (at a rotation: a generation went unused). */
    void trim() {
        while (!recycled.isEmpty()) {
            ChunkMemory.free(recycled.popLong(), chunkBytes);
        }
    }

    /** Frees a chunk that is not to be used again (its records are closed). */
    void free(long address) {
        ChunkMemory.free(address, chunkBytes);
    }

    /** Chunks the records' thread allocated itself because none was recycled or faulted ahead. */
    long coldChunks() {
        return coldChunks;
    }

    /** Bytes held here for later (recycled and faulted ahead), outside the generations' own chunks. */
    long spareBytes() {
        return (long) chunkBytes * (recycled.size() + (ahead.get() == 0 ? 0 : 1));
    }

    /** Frees the spare chunks; a fault-ahead still in flight frees its own chunk when it finds this closed. */
    @Override
    public void close() {
        closed = true;
        trim();
        long address = ahead.getAndSet(0);
        if (address != 0) {
            ChunkMemory.free(address, chunkBytes);
        }
    }

    /**
     * On the helper: allocates a chunk, writes one byte of each 4 KiB page (a write fault here for each page, small or
     * huge, the kernel gave: it falls back to small pages when it has no huge one at hand), hands it over.
     */
    private void faultAhead() {
        if (closed) {
            return;
        }
        long address;
        try {
            address = ChunkMemory.allocate(chunkBytes, true);
        } catch (OutOfMemoryError e) {
            LOG.warn("could not fault an idempotency chunk ahead; the shard allocates its own", e);
            return; // asked stays set: the shard allocates cold from here on, which is what it did before
        }
        for (long at = 0; at < chunkBytes; at += PAGE_BYTES) {
            UnsafeApi.putByte(address + at, (byte) 0);
        }
        ahead.set(address);
        if (closed) {
            long unclaimed = ahead.getAndSet(0); // close() or this frees it, whichever empties ahead
            if (unclaimed != 0) {
                ChunkMemory.free(unclaimed, chunkBytes);
            }
        }
    }

    private static Executor faultAheadThread() {
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "formica-chunk-fault-ahead");
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
