package dev.formica.engine.state;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executor;
import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;

class RecordChunksTest {

    private static final int CHUNK = 64 << 10;

    /** A fault-ahead executor the test runs by hand: what is asked for, and when it has happened. */
    static final class HeldExecutor implements Executor {
        final ArrayDeque<Runnable> held = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            held.add(task);
        }

        /** Runs the oldest held task on a thread of its own, as the fault-ahead thread would, and waits for it. */
        void runOneElsewhere() throws InterruptedException {
            Thread t = new Thread(held.remove(), "test-fault-ahead");
            t.start();
            t.join();
        }
    }

    @Test
    void theFirstChunkIsAllocatedByTheTakerAndTheNextOneFaultedAheadElsewhere() throws InterruptedException {
        HeldExecutor ahead = new HeldExecutor();
        try (RecordChunks chunks = new RecordChunks(CHUNK, ahead)) {
            long first = chunks.take();
            assertEquals(1, chunks.coldChunks(), "nothing recycled or faulted ahead yet");
            assertEquals(1, ahead.held.size(), "the next chunk is asked for at once");
            ahead.runOneElsewhere();
            assertEquals(CHUNK, chunks.spareBytes(), "one chunk faulted ahead, waiting");
            long second = chunks.take();
            assertNotEquals(first, second);
            assertEquals(1, chunks.coldChunks(), "the second chunk was the one faulted ahead");
            assertEquals(0, chunks.spareBytes());
            assertEquals(1, ahead.held.size(), "and the one after it is asked for");
            UnsafeApi.putLong(second + CHUNK - 8, 42); // the taker's to write, whole
            chunks.free(first);
            chunks.free(second);
        }
    }

    @Test
    void aChunkWantedWhileTheOneAheadIsStillBeingFaultedIsAllocatedWithoutWaiting() throws InterruptedException {
        HeldExecutor ahead = new HeldExecutor();
        try (RecordChunks chunks = new RecordChunks(CHUNK, ahead)) {
            long a = chunks.take();
            long b = chunks.take(); // the fault-ahead has not run
            assertEquals(2, chunks.coldChunks());
            assertEquals(1, ahead.held.size(), "one fault-ahead in flight per shard, not one per chunk taken");
            ahead.runOneElsewhere();
            long c = chunks.take();
            assertEquals(2, chunks.coldChunks(), "the late chunk is taken once it is there");
            assertEquals(1, ahead.held.size());
            for (long address : new long[] {a, b, c}) {
                chunks.free(address);
            }
        }
    }

    @Test
    void aDroppedGenerationsChunksAreTakenAgainFirstAndFreedWhenAGenerationPassesWithoutThem() {
        HeldExecutor ahead = new HeldExecutor();
        try (RecordChunks chunks = new RecordChunks(CHUNK, ahead)) {
            Set<Long> dropped = Set.of(ChunkMemory.allocate(CHUNK, false), ChunkMemory.allocate(CHUNK, true),
                    ChunkMemory.allocate(CHUNK, false));
            dropped.forEach(chunks::recycle);
            assertEquals(3L * CHUNK, chunks.spareBytes());
            Set<Long> taken = new HashSet<>();
            taken.add(chunks.take());
            assertTrue(ahead.held.isEmpty(), "recycled chunks are left: nothing is faulted ahead");
            taken.add(chunks.take());
            assertTrue(dropped.containsAll(taken), "the dropped generation's chunks, not new ones");
            assertEquals(0, chunks.coldChunks());
            assertEquals(CHUNK, chunks.spareBytes());
            chunks.trim(); // the next rotation: one chunk went unused for a whole generation
            assertEquals(0, chunks.spareBytes(), "freed");
            long last = chunks.take();
            assertEquals(1, chunks.coldChunks(), "the trimmed chunk is gone: the next one is new");
            assertEquals(1, ahead.held.size(), "and the one after it is faulted ahead");
            taken.forEach(chunks::free);
            chunks.free(last);
        }
    }

    @Test
    void onlyTheChunkFaultedAheadIsAdvisedForHugePages() throws InterruptedException, IOException {
        assumeTrue(ChunkMemory.mapsChunks(), "Linux with the POSIX binding only");
        HeldExecutor ahead = new HeldExecutor();
        try (RecordChunks chunks = new RecordChunks(DecisionRecords.CHUNK_BYTES, ahead)) {
            long cold = chunks.take();
            ahead.runOneElsewhere();
            long faulted = chunks.take();
            ChunkMemoryTest.Mapping mapping = ChunkMemoryTest.mappingOf(faulted);
            assertEquals(0, faulted % ChunkMemory.HUGE_PAGE_BYTES);
            assertTrue(mapping.advised(), "the helper's chunk: VmFlags " + mapping.flags());
            assertTrue(mapping.start() <= faulted && mapping.end() >= faulted + DecisionRecords.CHUNK_BYTES);
            assertFalse(ChunkMemoryTest.mappingOf(cold).advised(), "the shard thread's own chunk keeps small pages");
            chunks.free(cold);
            chunks.free(faulted);
        }
    }

    @Test
    void aChunkFaultedAheadAfterTheRecordsClosedIsFreedByTheFaultAhead() throws InterruptedException {
        HeldExecutor ahead = new HeldExecutor();
        RecordChunks chunks = new RecordChunks(CHUNK, ahead);
        long first = chunks.take();
        chunks.free(first);
        chunks.close();
        ahead.runOneElsewhere();
        assertEquals(0, chunks.spareBytes(), "nothing is left waiting for a taker that is gone");
    }

    @Test
    void theJvmsFaultAheadThreadPreparesTheNextChunkWhileTheTakerGoesOn() {
        try (RecordChunks chunks = new RecordChunks(CHUNK, RecordChunks.FAULT_AHEAD)) {
            long first = chunks.take();
            await().atMost(Duration.ofSeconds(30)).until(() -> chunks.spareBytes() == CHUNK);
            long second = chunks.take();
            assertEquals(1, chunks.coldChunks());
            chunks.free(first);
            chunks.free(second);
        }
    }
}
