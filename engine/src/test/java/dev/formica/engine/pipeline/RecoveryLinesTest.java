package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.agrona.collections.LongArrayList;
import org.junit.jupiter.api.Test;

class RecoveryLinesTest {

    /** The lines of a shard's holds and ledger, with the answer a map of strings gives. */
    private record Hold(String borrowerId, int product, long holdId, long amount) {
    }

    @Test
    void shouldGroupEachLinesHoldsExactlyWithTheRealHash() {
        check(RecoveryLines::hash, 7);
    }

    @Test
    void shouldKeepLinesApartWhenEveryHashCollides() {
        check((borrowerId, product) -> 42L, 11); // every line the same hash: groups only by exact comparison
    }

    @Test
    void shouldKeepLinesApartWhenSomeHashesCollide() {
        // the hash sees only the id's length and the product: lines of one length and product all collide
        check((borrowerId, product) -> borrowerId.length() * 8L + product, 13);
    }

    @Test
    void shouldNotGiveALedgerLineTheHoldsOfAnotherLineWithItsHash() {
        RecoveryLines lines = new RecoveryLines(4, (borrowerId, product) -> 1L);
        lines.addHold("no-ledger-line", 1, 10, 500); // a hold whose line is not in the ledger, same hash
        lines.addHold("b1", 2, 11, 70); // same hash again: spilled to its own exact group
        int b1 = lines.addLine("b1", 1, 0); // same id, other product: no holds
        int b1p2 = lines.addLine("b1", 2, 5);
        int other = lines.addLine("other", 1, 0);
        assertEquals(0, lines.held(b1));
        assertEquals(70, lines.held(b1p2));
        assertEquals(0, lines.held(other));
        assertEquals(b1, lines.lineOf("b1", 1)); // three ledger lines of one hash: each found exactly
        assertEquals(b1p2, lines.lineOf("b1", 2));
        assertEquals(other, lines.lineOf("other", 1));
        assertEquals(-1, lines.lineOf("no-ledger-line", 1));
        LongArrayList ids = new LongArrayList();
        LongArrayList amounts = new LongArrayList();
        lines.holdsOf(b1p2, ids, amounts);
        assertEquals(List.of(11L), List.copyOf(ids));
        assertEquals(List.of(70L), List.copyOf(amounts));
        lines.holdsOf(b1, ids, amounts);
        assertEquals(0, ids.size());
        assertEquals("b1", lines.borrowerId(b1p2).toString());
        assertEquals(2, lines.product(b1p2));
        assertEquals(5, lines.drawn(b1p2));
    }

    @Test
    void shouldHashLinesThatDifferOnlyInProductOrOneCharacterApart() {
        assertNotEquals(RecoveryLines.hash("b1", 1), RecoveryLines.hash("b1", 2));
        assertNotEquals(RecoveryLines.hash("b1", 1), RecoveryLines.hash("b2", 1));
        assertEquals(RecoveryLines.hash(new StringBuilder("b1"), 1), RecoveryLines.hash("b1", 1));
    }

    /** Random holds over lines (some without a ledger line, some ledger lines without holds) against maps. */
    private static void check(RecoveryLines.LineHash hash, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            ids.add("b" + random.nextInt(100_000));
        }
        List<Hold> holds = new ArrayList<>();
        Map<String, List<Hold>> expected = new LinkedHashMap<>();
        for (int h = 0; h < 20_000; h++) {
            String id = ids.get(random.nextInt(ids.size()));
            int product = 1 + random.nextInt(3);
            Hold hold = new Hold(id, product, random.nextLong(), 1 + random.nextInt(1_000_000));
            holds.add(hold);
            expected.computeIfAbsent(product + ":" + id, k -> new ArrayList<>()).add(hold);
        }
        RecoveryLines lines = new RecoveryLines(16, hash);
        for (Hold hold : holds) {
            lines.addHold(new StringBuilder(hold.borrowerId()), hold.product(), hold.holdId(), hold.amount());
        }
        Map<String, Integer> ledger = new HashMap<>();
        for (String id : ids) {
            for (int product = 1; product <= 4; product++) {
                String key = product + ":" + id;
                if (random.nextInt(4) == 0 || ledger.containsKey(key)) {
                    continue; // a quarter of the lines with holds have no ledger line
                }
                long drawn = random.nextInt(1000);
                ledger.put(key, lines.addLine(new StringBuilder(id), product, drawn));
                int line = ledger.get(key);
                assertEquals(id, lines.borrowerId(line).toString());
                assertEquals(product, lines.product(line));
                assertEquals(drawn, lines.drawn(line));
            }
        }
        assertEquals(ledger.size(), lines.lineCount());
        for (Map.Entry<String, Integer> line : ledger.entrySet()) {
            String key = line.getKey();
            int product = key.charAt(0) - '0';
            String raw = product + key.substring(2); // as an exposure record's key: the product digit, the id
            assertEquals(line.getValue(), lines.lineOf(new RecoveryLines.Tail().of(raw, 1), product), key);
        }
        for (String id : ids) {
            for (int product = 1; product <= 4; product++) {
                if (!ledger.containsKey(product + ":" + id)) {
                    assertEquals(-1, lines.lineOf(id, product), product + ":" + id); // never another line
                }
            }
            assertEquals(-1, lines.lineOf(id + "x", 1));
        }
        LongArrayList holdIds = new LongArrayList();
        LongArrayList amounts = new LongArrayList();
        for (Map.Entry<String, Integer> line : ledger.entrySet()) {
            List<Hold> its = expected.getOrDefault(line.getKey(), List.of());
            lines.holdsOf(line.getValue(), holdIds, amounts);
            assertEquals(its.size(), holdIds.size(), line.getKey());
            long sum = 0;
            for (int i = 0; i < its.size(); i++) {
                assertEquals(its.get(i).holdId(), holdIds.getLong(i), line.getKey());
                assertEquals(its.get(i).amount(), amounts.getLong(i), line.getKey());
                sum += its.get(i).amount();
            }
            assertEquals(sum, lines.held(line.getValue()), line.getKey());
        }
    }
}
