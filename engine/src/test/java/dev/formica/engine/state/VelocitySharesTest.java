package dev.formica.engine.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three nodes' velocity shares in one JVM, the exchange's calls made directly (no gRPC): a device counted on every
 * node is read whole everywhere once exchanged, a node's own adds at once; a batch taken twice, or an old one after
 * a new one, counts once; an owner that restarts gets every node's counts again; a node that cannot reach the owner
 * keeps its keys pending and delivers them later; a full change log becomes a scan.
 */
class VelocitySharesTest {
    private static final long NOW = 1_700_000_000_000L;
    private static final int NODES = 3;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final VelocityWindows[] local = new VelocityWindows[NODES];
    private final VelocityShares[] shares = new VelocityShares[NODES];

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private void start() throws IOException {
        for (int n = 0; n < NODES; n++) {
            local[n] = VelocityWindows.inMemory(1024);
            open.add(local[n]);
            startShares(n);
        }
    }

    private void startShares(int n) throws IOException {
        // the range assignment of a 3-node map, as PartitionTable.rangeOwner
        shares[n] = new VelocityShares(local[n], 1024, NODES, n, p -> p * NODES / 256);
        open.add(shares[n]);
        local[n].shares(shares[n]);
    }

    /** A device id whose key node {@code owner} owns. */
    private static String deviceOwnedBy(int owner) {
        return IntStream.range(0, 10_000).mapToObj(i -> "dev-" + i)
                .filter(d -> VelocityShares.partition(VelocityWindows.keyHash(VelocityWindows.Dimension.DEVICE, d))
                        * NODES / 256 == owner).findFirst().orElseThrow();
    }

    /** One Decide's velocity step on node {@code n}: count, then read the node's and the others' counts. */
    private long decide(int n, String device, long amount) {
        VelocityReading r = new VelocityReading();
        local[n].addAndRead(VelocityWindows.Dimension.DEVICE, device, NOW, amount, r);
        shares[n].counted(VelocityWindows.keyHash(VelocityWindows.Dimension.DEVICE, device), NOW, r, true);
        return r.countHour();
    }

    /** What a Decide on node {@code n} would read for the device, without counting. */
    private long read(int n, String device) {
        VelocityReading r = new VelocityReading();
        local[n].read(VelocityWindows.Dimension.DEVICE, device, NOW, r);
        shares[n].counted(VelocityWindows.keyHash(VelocityWindows.Dimension.DEVICE, device), NOW, r, false);
        return r.countHour();
    }

    private long sumHour(int n, String device) {
        VelocityReading r = new VelocityReading();
        local[n].read(VelocityWindows.Dimension.DEVICE, device, NOW, r);
        shares[n].counted(VelocityWindows.keyHash(VelocityWindows.Dimension.DEVICE, device), NOW, r, false);
        return r.sumHour();
    }

    /** One exchange of node {@code from} with node {@code to}, as VelocityExchange makes it. */
    private VelocityShares.Batch exchange(int from, int to) {
        VelocityShares.Batch batch = shares[from].outgoing(to);
        boolean complete = shares[from].complete(to);
        VelocityShares.Reply reply = shares[to].exchange(from, shares[from].seenEpoch(to), shares[from].cursor(to),
                shares[from].scanSlot(to), complete, batch, NOW);
        shares[from].accept(to, reply, complete, NOW, NOW);
        return batch;
    }

    /** Every node exchanges with every other, twice (counts reach the owner, then the totals come back). */
    private void exchangeAll() {
        for (int round = 0; round < 2; round++) {
            for (int from = 0; from < NODES; from++) {
                for (int to = 0; to < NODES; to++) {
                    if (from != to) {
                        exchange(from, to);
                    }
                }
            }
        }
    }

    @Test
    void aDeviceCountedOnEveryNodeIsReadWholeEverywhereOnceExchanged() throws IOException {
        start();
        String device = deviceOwnedBy(1);
        exchangeAll(); // the starts' scans done
        assertEquals(1, decide(0, device, 100));
        assertEquals(2, decide(0, device, 100));
        assertEquals(1, decide(2, device, 100), "node 2 has not heard of node 0's adds yet: the stated lag");
        assertEquals(1, decide(1, device, 100));
        exchangeAll();
        for (int n = 0; n < NODES; n++) {
            assertEquals(4, read(n, device), "node " + n);
            assertEquals(400, sumHour(n, device), "node " + n);
        }
        assertEquals(5, decide(2, device, 100), "a node's own add is read at once, on top of the others'");
        assertEquals(4, read(0, device), "until the next exchange");
        exchangeAll();
        assertEquals(5, read(0, device));
        assertEquals(5, read(1, device));
        for (int n = 0; n < NODES; n++) {
            for (int peer = 0; peer < NODES; peer++) {
                if (peer != n) {
                    assertEquals(NOW, shares[n].syncedMs(peer), n + " with " + peer);
                    assertEquals(0, shares[n].pendingKeys(peer));
                }
            }
        }
    }

    @Test
    void aBatchTakenTwiceOrLateCountsOnce() throws IOException {
        start();
        String device = deviceOwnedBy(2);
        exchangeAll();
        decide(0, device, 100);
        decide(0, device, 100);
        VelocityShares.Batch first = exchange(0, 2);
        assertEquals(1, first.size());
        decide(0, device, 100);
        VelocityShares.Batch second = exchange(0, 2);
        // the first batch again (a retry after a lost answer), then the second again, then the first (late)
        shares[2].exchange(0, shares[0].seenEpoch(2), 0, VelocityShares.NO_SCAN, true, first, NOW);
        shares[2].exchange(0, shares[0].seenEpoch(2), 0, VelocityShares.NO_SCAN, true, second, NOW);
        shares[2].exchange(0, shares[0].seenEpoch(2), 0, VelocityShares.NO_SCAN, true, first, NOW);
        assertEquals(3, read(2, device));
        exchangeAll();
        exchangeAll();
        assertEquals(3, read(1, device));
        assertEquals(3, read(0, device));
        assertEquals(300, sumHour(1, device));
    }

    @Test
    void wordsDatedAfterTheOwnersClockAreDroppedSoNoCallerCanHideACount() throws IOException {
        start();
        String device = deviceOwnedBy(1);
        exchangeAll();
        decide(0, device, 100);
        decide(0, device, 100);
        exchangeAll();
        assertEquals(2, read(1, device));
        // node 0's words again, each period stamp a day later: "newer" would replace the counts nobody reads yet
        long hash = VelocityWindows.keyHash(VelocityWindows.Dimension.DEVICE, device);
        long[] words = new long[VelocityWindows.SLOT_WORDS];
        local[0].words(hash, words);
        for (int i = 0; i < words.length; i++) {
            if (words[i] != 0) {
                long width = i < 12 ? 10_000L : i < 36 ? 300_000L : 3_600_000L;
                words[i] += (86_400_000L / width) << 40;
            }
        }
        VelocityShares.Batch forged = new VelocityShares.Batch();
        forged.add(hash, words);
        shares[1].exchange(0, shares[0].seenEpoch(1), shares[0].cursor(1), VelocityShares.NO_SCAN, true, forged, NOW);
        assertEquals(2, read(1, device));
        long[] kept = words.clone();
        assertTrue(VelocityWords.dropFuture(kept, NOW));
        assertTrue(VelocityWords.empty(kept));
        local[0].words(hash, words);
        assertFalse(VelocityWords.dropFuture(words, NOW), "words of the current periods are kept");
    }

    @Test
    void anOwnerThatRestartsGetsEveryNodesCountsAgain() throws IOException {
        start();
        String device = deviceOwnedBy(1);
        exchangeAll();
        decide(0, device, 100);
        decide(2, device, 100);
        decide(2, device, 100);
        exchangeAll();
        assertEquals(3, read(1, device));
        long oldEpoch = shares[1].epoch();
        // node 1 restarts: its own table is rebuilt from its log (nothing of this device), the exchange's is empty
        local[1].shares(null);
        startShares(1);
        assertNotEquals(oldEpoch, shares[1].epoch());
        assertEquals(0, read(1, device), "what the other nodes counted is gone with the process");
        exchangeAll();
        exchangeAll();
        assertEquals(3, read(1, device), "resent by every node when it saw the new epoch");
        assertEquals(3, read(0, device));
        decide(1, device, 100);
        exchangeAll();
        assertEquals(4, read(2, device));
    }

    @Test
    void aNodeThatCannotReachTheOwnerKeepsItsKeysAndDeliversThemLater() throws IOException {
        start();
        String device = deviceOwnedBy(1);
        exchangeAll();
        decide(0, device, 100);
        decide(0, device, 100);
        VelocityShares.Batch lost = shares[0].outgoing(1);
        assertEquals(1, lost.size());
        shares[0].undelivered(1, lost, false); // the call failed: node 1 is down or slow
        assertEquals(1, shares[0].pendingKeys(1), "the key waits, and the gauge says so");
        assertEquals(0, read(1, device));
        exchangeAll();
        assertEquals(2, read(1, device));
        assertEquals(2, read(2, device));
        assertEquals(0, shares[0].pendingKeys(1));
    }

    /** Device ids whose keys node {@code owner} owns. */
    private static List<String> devicesOwnedBy(int owner, int n) {
        return IntStream.range(0, 200_000).mapToObj(i -> "x-" + i)
                .filter(d -> VelocityShares.partition(VelocityWindows.keyHash(VelocityWindows.Dimension.DEVICE, d))
                        * NODES / 256 == owner).limit(n).toList();
    }

    @Test
    void aCursorTheChangeLogNoLongerCoversIsAScan() throws IOException {
        start();
        exchangeAll();
        String device = deviceOwnedBy(1);
        decide(1, device, 100);
        // node 1's change log (65,536 entries) wraps past node 0's cursor: 70,000 changes of other keys it owns
        List<String> others = devicesOwnedBy(1, 600);
        for (int i = 0; i < 70_000; i++) {
            decide(1, others.get(i % others.size()), 1);
            if (i % 1_000 == 0) {
                shares[1].pendingKeys(0); // drains the decision path's queue into the change log
            }
        }
        assertEquals(0, shares[1].overflows());
        exchange(0, 1);
        assertEquals(1, read(0, device), "the device's change was overwritten: only a scan brings it");
        assertEquals(70_000 / 600 + 1, read(0, others.get(0)));
        assertEquals(VelocityShares.NO_SCAN, shares[0].scanSlot(1));
    }

    @Test
    void aFullDecisionPathQueueIsAScanNotALoss() throws IOException {
        start();
        exchangeAll();
        List<String> devices = devicesOwnedBy(1, 600);
        for (int i = 0; i < 70_000; i++) { // 16 bytes a key in a 1 MiB queue, never drained meanwhile
            decide(0, devices.get(i % devices.size()), 1);
        }
        assertTrue(shares[0].overflows() > 0, "the queue overflowed");
        exchangeAll();
        for (String d : List.of(devices.get(0), devices.get(599))) {
            long expected = 70_000 / 600 + (devices.indexOf(d) < 70_000 % 600 ? 1 : 0);
            assertEquals(expected, read(1, d), d);
            assertEquals(expected, read(2, d), d);
        }
    }
}
