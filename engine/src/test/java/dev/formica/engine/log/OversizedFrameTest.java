package dev.formica.engine.log;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A frame over {@link LogFrames#MAX_FRAME} comes from a command that has already changed the shard's memory: a log
 * that refused only that frame and went on would replay to another state than the one later answers were decided
 * on. So it fails the log as a failed disk does (every answer from then on refused, the shard restarted from what
 * is durable), found when a Decide with 2 MB of unknown fields was approved with no frame behind it.
 */
class OversizedFrameTest {
    @TempDir
    Path dir;

    @Test
    void shouldFailTheLogNotSkipTheFrame() throws Exception {
        LogWriter writer = new LogWriter(Durability.FSYNC, LogChannel.FILES, 1 << 20, 4 * LogFrames.MAX_FRAME, 0);
        LogWriter.Log log = writer.open(0, LogSegments.open(dir.resolve("log")), 0, dir.resolve("w0"));
        writer.start();
        try {
            UnsafeBuffer small = new UnsafeBuffer(new byte[100]);
            assertTrue(durable(log, log.append(1, small, 0, 100)), "a frame before is durable");

            UnsafeBuffer big = new UnsafeBuffer(new byte[LogFrames.MAX_FRAME]);
            assertThrows(IllegalStateException.class, () -> log.append(2, big, 0, big.capacity()),
                    "the shard sees a failed log (its answers refused), not a skipped frame");
            assertTrue(log.failed());
            assertThrows(IllegalStateException.class, () -> log.append(3, small, 0, 100), "nothing appended after");
            assertFalse(durable(log, log.appendedPosition()), "what waits for durability is refused");
        } finally {
            writer.close();
        }
    }

    private static boolean durable(LogWriter.Log log, long position) throws Exception {
        CompletableFuture<Boolean> released = new CompletableFuture<>();
        log.whenDurable(position, released::complete);
        return released.get(10, TimeUnit.SECONDS);
    }
}
