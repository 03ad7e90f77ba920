package dev.formica.engine.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The power-cut disk the log tests stand on ({@link PowerCutChannels}) tears only writes in flight: a segment whose
 * bytes a completed flush covered keeps them, even when the writer closes it after the cut (a log that had nothing
 * to sync when another log's sync failed moves on into its next segment), and a segment closed with bytes never
 * flushed loses them (a close does not make anything durable).
 */
class PowerCutChannelsTest {
    @TempDir
    Path dir;
    /** Power fails at the second sync; two segments on its one device, both empty. */
    private final PowerCutChannels disk = new PowerCutChannels(2, true);
    private Path a;
    private Path b;
    private LogChannel segA;
    private LogChannel segB;

    @BeforeEach
    void twoSegments() throws IOException {
        a = Files.createFile(dir.resolve("a"));
        b = Files.createFile(dir.resolve("b"));
        segA = disk.open(a, 0);
        segB = disk.open(b, 0);
    }

    private static void append(LogChannel channel, byte value, int length) throws IOException {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        channel.append(ByteBuffer.wrap(bytes));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void aSegmentCoveredByAFlushAndClosedAfterTheCutKeepsEveryByte(int seed) throws IOException {
        append(segA, (byte) 1, 300);
        assertTrue(segA.writeOut());
        append(segB, (byte) 2, 200);
        segB.sync(); // the flush covers a's written-out bytes
        append(segB, (byte) 3, 100);
        assertThrows(IOException.class, segB::sync, "the power fails during b's second sync");
        segA.close(); // after the cut: a had nothing left to sync
        segB.close();

        long lost = disk.applyCut(new SplittableRandom(seed));

        byte[] kept = new byte[300];
        Arrays.fill(kept, (byte) 1);
        assertArrayEquals(kept, Files.readAllBytes(a), "a's flushed bytes, and nothing torn after them");
        assertEquals(100, lost, "only b's unsynced append is thrown away");
        byte[] onB = Files.readAllBytes(b);
        for (int i = 0; i < 200; i++) {
            assertEquals(2, onB[i], "b's synced bytes stay");
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(ints = {1, 2, 3, 4})
    void aSegmentClosedBeforeTheCutWithBytesNeverFlushedLosesThem(int seed) throws IOException {
        append(segA, (byte) 1, 300);
        segA.close(); // neither synced nor written out
        append(segB, (byte) 2, 200);
        segB.sync();
        append(segB, (byte) 3, 50);
        assertThrows(IOException.class, segB::sync);
        segB.close();

        long lost = disk.applyCut(new SplittableRandom(seed));

        assertEquals(350, lost, "a's 300 bytes that no flush covered and b's last 50");
        assertTrue(Files.size(a) <= 60, "a keeps at most a few torn bytes: " + Files.size(a));
    }
}
