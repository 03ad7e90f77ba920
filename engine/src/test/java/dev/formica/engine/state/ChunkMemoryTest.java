package dev.formica.engine.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;

class ChunkMemoryTest {

    private static final long CHUNK = DecisionRecords.CHUNK_BYTES;

    /** One mapping of /proc/self/smaps: its range and its VmFlags line. */
    record Mapping(long start, long end, String flags) {

        boolean advised() {
            return List.of(flags.split(" ")).contains("hg");
        }
    }

    /** The mapping of this process that holds {@code address}, or null (read from /proc/self/smaps). */
    static Mapping mappingOf(long address) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash <= 0 || space < dash || !line.substring(0, dash).matches("[0-9a-f]+")) {
                continue; // a field line of the mapping above
            }
            long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
            long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
            if (address < start || address >= end) {
                continue;
            }
            for (int j = i + 1; j < lines.size(); j++) {
                if (lines.get(j).startsWith("VmFlags:")) {
                    return new Mapping(start, end, lines.get(j).substring("VmFlags:".length()).trim());
                }
            }
        }
        return null;
    }

    @Test
    void shouldPlaceAHugeChunkOnWholeHugePagesAdvisedForThemAndWritableOverItsLength() throws IOException {
        assumeTrue(ChunkMemory.mapsChunks(), "Linux with the POSIX binding only");
        long address = ChunkMemory.allocate(CHUNK, true);
        try {
            assertEquals(0, address % ChunkMemory.HUGE_PAGE_BYTES, "2 MiB aligned, or no huge page can back it");
            for (long at = 0; at < CHUNK; at += 4096) {
                UnsafeApi.putLong(address + at, at);
            }
            for (long at = 0; at < CHUNK; at += 4096) {
                assertEquals(at, UnsafeApi.getLong(address + at));
            }
            Mapping mapping = mappingOf(address);
            assertNotNull(mapping);
            assertTrue(mapping.advised(), "MADV_HUGEPAGE on the chunk: VmFlags " + mapping.flags());
            assertTrue(mapping.start() <= address && mapping.end() >= address + CHUNK,
                    "the whole chunk in one advised mapping");
            Mapping before = mappingOf(address - 1);
            assertTrue(before == null || !before.advised() || before.end() == address,
                    "nothing before the chunk advised with it: the reserve's head was given back");
        } finally {
            ChunkMemory.free(address, CHUNK);
        }
    }

    @Test
    void shouldLeaveAChunkTakenColdOnSmallPages() throws IOException {
        assumeTrue(ChunkMemory.mapsChunks(), "Linux with the POSIX binding only");
        long address = ChunkMemory.allocate(CHUNK, false);
        try {
            UnsafeApi.setMemory(address, CHUNK, (byte) 1);
            Mapping mapping = mappingOf(address);
            assertNotNull(mapping);
            assertFalse(mapping.advised(), "an event loop must not take a 2 MiB fault: VmFlags " + mapping.flags());
        } finally {
            ChunkMemory.free(address, CHUNK);
        }
    }

    @Test
    void shouldGiveBackTheWholeChunkWhenFreed() throws IOException {
        assumeTrue(ChunkMemory.mapsChunks(), "Linux with the POSIX binding only");
        long address = ChunkMemory.allocate(CHUNK, true);
        UnsafeApi.setMemory(address, CHUNK, (byte) 1);
        ChunkMemory.free(address, CHUNK);
        Mapping left = mappingOf(address);
        assertTrue(left == null || !left.advised(), "the advised mapping is gone: " + left);
    }

    @Test
    void shouldNotAlignASizeThatIsNoWholeNumberOfHugePages() {
        long address = ChunkMemory.allocate(64 << 10, true);
        try {
            UnsafeApi.setMemory(address, 64 << 10, (byte) 1);
            assertEquals(1, UnsafeApi.getByte(address + (64 << 10) - 1));
        } finally {
            ChunkMemory.free(address, 64 << 10);
        }
    }
}
