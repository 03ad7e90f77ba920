package dev.formica.engine.risk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two admin-set inputs of the risk logic that are not rule sets: the risk appetite per product and the block
 * lists. Both must survive a restart (they are changed by operators, not by decisions, so no log rebuilds them).
 */
class RiskAppetiteAndBlockListsTest {
    @TempDir
    Path dir;

    @Test
    void shouldStartNeutralSetOneProductOrAllAndKeepTheSettingAcrossAReopen() throws Exception {
        Path file = dir.resolve("risk-appetite.properties");
        RiskAppetite appetite = RiskAppetite.open(file);
        for (int product = 1; product <= 3; product++) {
            assertEquals(RiskAppetite.NEUTRAL_BPS, appetite.factorBps(product));
            assertNull(appetite.setting(product));
        }
        assertEquals(RiskAppetite.NEUTRAL_BPS, appetite.factorBps(0), "no product: neutral, not an error");
        assertEquals(RiskAppetite.NEUTRAL_BPS, appetite.factorBps(9));

        appetite.set(2, 6_000, "cash loans: losses above plan", 1_000);
        assertEquals(6_000, appetite.factorBps(2));
        assertEquals(RiskAppetite.NEUTRAL_BPS, appetite.factorBps(1), "only the product named");

        RiskAppetite reopened = RiskAppetite.open(file);
        assertEquals(6_000, reopened.factorBps(2));
        assertEquals(new RiskAppetite.Setting(6_000, "cash loans: losses above plan", 1_000), reopened.setting(2));

        reopened.set(0, 8_000, "all products", 2_000);
        RiskAppetite all = RiskAppetite.open(file);
        for (int product = 1; product <= 3; product++) {
            assertEquals(8_000, all.factorBps(product), "product 0 sets every product");
        }
    }

    @Test
    void shouldAddAndRemoveEntriesPerKindAndKeepThemAcrossAReopen() throws Exception {
        Path file = dir.resolve("blocklists.dat");
        try (BlockLists lists = BlockLists.open(file)) {
            assertArrayEquals(new long[] {2, 0}, lists.update(BlockLists.Kind.DEVICE, List.of("d1", "d2"), List.of(),
                    1));
            assertArrayEquals(new long[] {0, 1}, lists.update(BlockLists.Kind.DEVICE, List.of("d1"), List.of("d2"),
                    2), "adding an entry twice counts once");
            lists.update(BlockLists.Kind.IP, List.of("203.0.113.7"), List.of(), 3);
            assertTrue(lists.contains(BlockLists.Kind.DEVICE, "d1"));
            assertFalse(lists.contains(BlockLists.Kind.DEVICE, "d2"));
            assertFalse(lists.contains(BlockLists.Kind.BORROWER, "d1"), "each kind is its own list");
            assertTrue(lists.contains(BlockLists.Kind.DEVICE, new StringBuilder("d1")), "any CharSequence");
            assertFalse(lists.contains(BlockLists.Kind.DEVICE, ""), "an absent value is never blocked");
            assertFalse(lists.contains(BlockLists.Kind.DEVICE, null));
        }
        try (BlockLists reopened = BlockLists.open(file)) {
            assertTrue(reopened.contains(BlockLists.Kind.DEVICE, "d1"));
            assertFalse(reopened.contains(BlockLists.Kind.DEVICE, "d2"), "a removal survives too");
            assertTrue(reopened.contains(BlockLists.Kind.IP, "203.0.113.7"));
            assertEquals(1, reopened.size(BlockLists.Kind.DEVICE));
            assertEquals(0, reopened.size(BlockLists.Kind.MERCHANT));
        }
    }
}
