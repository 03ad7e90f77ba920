package dev.formica.engine.risk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, finding 6: the block lists' file is sized from the entries it holds, grows past its first size by being
 * re-created, keeps every entry through the growth and a reopen, and shrinks back at a reopen.
 */
class BlockListsSizingTest {
    @TempDir
    Path dir;

    @Test
    void shouldStartSmallGrowWhenFullAndResizeFromItsEntriesAtReopen() throws Exception {
        Path file = dir.resolve("blocklists.dat");
        long emptyBytes;
        try (BlockLists lists = BlockLists.open(file)) {
            assertEquals(BlockLists.MIN_ENTRIES, lists.capacity());
            emptyBytes = Files.size(file);
            assertTrue(emptyBytes < 1024 * 1024, "an empty list takes " + emptyBytes + " bytes");
            List<String> devices = new ArrayList<>();
            for (int i = 0; i < 3 * BlockLists.MIN_ENTRIES; i++) {
                devices.add("device-" + i);
            }
            lists.update(BlockLists.Kind.DEVICE, devices.subList(0, 1000), List.of(), 1);
            assertEquals(BlockLists.MIN_ENTRIES, lists.capacity(), "1,000 entries fit the first size");
            lists.update(BlockLists.Kind.DEVICE, devices.subList(1000, devices.size()), List.of("device-7"), 2);
            assertEquals(BlockLists.capacityFor(3L * BlockLists.MIN_ENTRIES), lists.capacity(), "grown");
            assertTrue(Files.size(file) > emptyBytes, "the file grew with the lists");
            assertEquals(3 * BlockLists.MIN_ENTRIES - 1, lists.size(BlockLists.Kind.DEVICE));
            assertFalse(Files.exists(dir.resolve("blocklists.dat.next")), "no scratch file left");
        }
        try (BlockLists lists = BlockLists.open(file)) {
            assertEquals(3 * BlockLists.MIN_ENTRIES - 1, lists.size(BlockLists.Kind.DEVICE), "every entry reopened");
            assertTrue(lists.contains(BlockLists.Kind.DEVICE, "device-3000"));
            assertFalse(lists.contains(BlockLists.Kind.DEVICE, "device-7"));
            List<String> all = new ArrayList<>();
            for (int i = 0; i < 3 * BlockLists.MIN_ENTRIES; i++) {
                all.add("device-" + i);
            }
            lists.update(BlockLists.Kind.DEVICE, List.of(), all.subList(10, all.size()), 3);
        }
        try (BlockLists lists = BlockLists.open(file)) {
            assertEquals(9, lists.size(BlockLists.Kind.DEVICE));
            assertEquals(BlockLists.MIN_ENTRIES, lists.capacity(), "sized from the 9 entries it holds");
            assertEquals(emptyBytes, Files.size(file), "back to the smallest file");
        }
    }

    @Test
    void shouldHoldAFullFileOfLongValues() throws Exception {
        // values of the longest id (64 chars) fill a file sized for the 24-char average before it grows
        Path file = dir.resolve("long.dat");
        try (BlockLists lists = BlockLists.open(file)) {
            List<String> merchants = new ArrayList<>();
            for (int i = 0; i < 2 * BlockLists.MIN_ENTRIES; i++) {
                merchants.add(String.format("%064d", i));
            }
            lists.update(BlockLists.Kind.MERCHANT, merchants.subList(0, BlockLists.MIN_ENTRIES), List.of(), 1);
            assertEquals(BlockLists.MIN_ENTRIES, lists.capacity(), "filled without growing");
            lists.update(BlockLists.Kind.MERCHANT, merchants.subList(BlockLists.MIN_ENTRIES, merchants.size()),
                    List.of(), 2);
            assertEquals(2 * BlockLists.MIN_ENTRIES, lists.size(BlockLists.Kind.MERCHANT));
        }
        try (BlockLists lists = BlockLists.open(file)) {
            assertEquals(2 * BlockLists.MIN_ENTRIES, lists.size(BlockLists.Kind.MERCHANT));
        }
    }
}
