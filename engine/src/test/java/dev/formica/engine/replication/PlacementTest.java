package dev.formica.engine.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a group is placed: the entry's format (never read as frames, frames never read as one), the file a replica
 * keeps so that a restart after the log was purged still knows it, and an older entry replayed after it ignored.
 */
class PlacementTest {
    @TempDir
    Path dir;

    @Test
    void shouldReadItsEntryAndNoFrameEntry() {
        assertEquals(2, Placement.nodeOf(new UnsafeBuffer(Placement.entry(2))));
        FrameBatch batch = new FrameBatch();
        byte[] payload = {1, 2, 3};
        batch.add(0, 1_000, new UnsafeBuffer(payload), 0, payload.length);
        assertEquals(-1, Placement.nodeOf(new UnsafeBuffer(batch.take())));
        assertEquals(-1, Placement.nodeOf(new UnsafeBuffer(FrameStateMachine.entry(0, 1_000, new UnsafeBuffer(
                new byte[0]), 0, 0))), "a format-1 entry of an empty frame is 16 bytes too");
        assertThrows(IllegalArgumentException.class, () -> FrameBatch.read(new UnsafeBuffer(Placement.entry(1)),
                null), "a build that does not know placements stops on one rather than skip it");
    }

    @Test
    void shouldKeepTheNewestPlacementAcrossARestart() throws IOException {
        Path file = dir.resolve("placement-0.properties");
        Placement placement = new Placement(file, 0);
        placement.load();
        assertEquals(0, placement.node(), "a group is placed on its own node");
        assertFalse(Files.exists(file));

        placement.apply(1, 40);
        placement.apply(2, 90);
        assertEquals(2, placement.node());

        Placement restarted = new Placement(file, 0);
        restarted.load();
        assertEquals(2, restarted.node(), "the file holds the newest placement");
        restarted.apply(1, 40); // the log replayed from an older snapshot
        assertEquals(2, restarted.node(), "an older entry does not take it back");
        restarted.apply(0, 120);
        assertEquals(0, restarted.node());
        Placement again = new Placement(file, 0);
        again.load();
        assertEquals(0, again.node());
    }

    @Test
    void shouldRefuseAFileItCannotRead() throws IOException {
        Path file = dir.resolve("placement-1.properties");
        Files.writeString(file, "node=x\nindex=3\n");
        assertThrows(IOException.class, () -> new Placement(file, 1).load());
    }
}
