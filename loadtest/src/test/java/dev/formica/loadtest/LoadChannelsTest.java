package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The channels of {@code --sender loop} and {@code threads} (lazy channels: nothing connects to the port). */
class LoadChannelsTest {
    private static final String TARGET = "127.0.0.1:21449";

    @Test
    void shouldGiveEachLoopItsShareOfTheChannelsAndRunItsTasksAndTimersOnItsOwnThread() throws Exception {
        try (LoadChannels open = LoadChannels.open(TARGET, "127.0.0.1", false, 4, 2)) {
            assertEquals(2, open.loops().size());
            assertEquals(List.of(2, 2), open.channels().stream().map(List::size).toList());
            assertNull(open.partitionLanes(), "no shard ports asked for: round-robin");
            Set<String> threads = ConcurrentHashMap.newKeySet();
            for (SenderLoop loop : open.loops()) {
                assertFalse(loop.inLoop(), "the test's thread is no loop's");
                CountDownLatch ran = new CountDownLatch(2);
                AtomicBoolean onLoop = new AtomicBoolean(true);
                Runnable task = () -> {
                    onLoop.compareAndSet(true, loop.inLoop());
                    threads.add(Thread.currentThread().getName());
                    ran.countDown();
                };
                loop.execute(task);
                loop.schedule(task, TimeUnit.MILLISECONDS.toNanos(1));
                assertTrue(ran.await(10, TimeUnit.SECONDS));
                assertTrue(onLoop.get(), "tasks and timers run on the loop");
            }
            assertEquals(Set.of("loadtest-loop-0", "loadtest-loop-1"), threads, "a thread per loop");
        }
    }

    @Test
    void shouldOpenTheSenderThreadsChannelsAsBefore() throws Exception {
        try (LoadChannels open = LoadChannels.open(TARGET, "127.0.0.1", false, 4, 0)) {
            assertTrue(open.loops().isEmpty());
            assertEquals(List.of(4), open.channels().stream().map(List::size).toList());
        }
    }
}
