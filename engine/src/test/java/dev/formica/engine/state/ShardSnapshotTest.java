package dev.formica.engine.state;

import static dev.formica.engine.state.SnapshotFixture.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.formica.engine.funding.QuotaTally;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A snapshot file: what it loads back, the formats before it, and the files it refuses. */
class ShardSnapshotTest {

    @TempDir
    Path dir;

    private ShardState open(String name) throws IOException {
        return ShardState.open(dir.resolve(name), SnapshotFixture.config(), T0);
    }

    private static List<String> velocityWords(VelocityWindows v) {
        List<String> words = new ArrayList<>();
        v.forEachKey((hash, w) -> words.add(hash + "=" + java.util.Arrays.toString(w)));
        words.sort(null);
        return words;
    }

    private static TreeMap<String, String> records(ShardState s) {
        TreeMap<String, String> rows = new TreeMap<>();
        for (boolean previous : new boolean[] {true, false}) {
            s.decisions().forEach(previous, (k, r) -> rows.put((previous ? "p " : "c ") + k, r.kind() + ","
                    + r.createdMs() + "," + r.fingerprint() + "," + java.util.Arrays.toString(r.payload())));
        }
        return rows;
    }

    @Test
    void loadsWhatItWrote() throws IOException {
        Path file = dir.resolve(ShardSnapshot.name(4242));
        try (ShardState live = open("live"); VelocityWindows v = VelocityWindows.inMemory(1024)) {
            SnapshotFixture.fill(live, v);
            byte[] largest = SnapshotFixture.bytes(StateConfig.MAX_PAYLOAD_BYTES, 5);
            String longest = "k".repeat(DecisionRecords.MAX_KEY_CHARS);
            live.decisions().put(longest, (byte) 1, T0 + 1_500, 3L, largest);
            ShardSnapshot.write(file, 1, 4242, T0 + 5_000, live, v, new QuotaTally());
            assertEquals(ShardSnapshot.FORMAT, ByteBuffer.wrap(Files.readAllBytes(file)).getInt(4));
            assertEquals(new ShardSnapshot.Header(1, 4242, T0 + 5_000), ShardSnapshot.verify(file));
            try (ShardState loaded = open("loaded"); VelocityWindows w = VelocityWindows.inMemory(1024)) {
                ShardSnapshot.read(file, loaded, w);
                assertEquals(StateDigest.rows(live), StateDigest.rows(loaded));
                assertEquals(records(live), records(loaded));
                assertEquals(live.decisions().size(), loaded.decisions().size());
                assertEquals(velocityWords(v), velocityWords(w));
                assertArrayEquals(largest, loaded.decisions().get(longest).payload());
                assertEquals(2, loaded.decisions().get(SnapshotFixture.key(17)).kind());
                // a record loaded from a snapshot is replaced and found like any other
                loaded.decisions().put(SnapshotFixture.key(400), (byte) 3, T0 + 2_000, 9L, new byte[] {1});
                assertEquals(9L, loaded.decisions().get(SnapshotFixture.key(400)).fingerprint());
                assertEquals(live.decisions().size(), loaded.decisions().size());
            }
        }
    }

    @Test
    void aGroupSnapshotWithAPlacementIsFormatFourAndLoadsLikeFormatThree() throws IOException {
        Path placed = dir.resolve("placed.snap");
        Path plain = dir.resolve(ShardSnapshot.name(4242));
        try (ShardState live = open("live"); VelocityWindows v = VelocityWindows.inMemory(1024)) {
            SnapshotFixture.fill(live, v);
            ShardSnapshot.write(placed, 2, 4242, T0 + 5_000, 1, 77, live, v, new QuotaTally());
            ShardSnapshot.write(plain, 2, 4242, T0 + 5_000, live, v, new QuotaTally());
            assertEquals(ShardSnapshot.FORMAT_PLACED, ByteBuffer.wrap(Files.readAllBytes(placed)).getInt(4));
            assertEquals(ShardSnapshot.FORMAT, ByteBuffer.wrap(Files.readAllBytes(plain)).getInt(4),
                    "no placement: the format older builds read");
            ShardSnapshot.Header header = new ShardSnapshot.Header(2, 4242, T0 + 5_000, 1, 77);
            assertEquals(header, ShardSnapshot.verify(placed));
            assertEquals(header, ShardSnapshot.header(placed));
            assertEquals(new ShardSnapshot.Header(2, 4242, T0 + 5_000, -1, -1), ShardSnapshot.header(plain));
            try (ShardState loaded = open("loaded"); VelocityWindows w = VelocityWindows.inMemory(1024)) {
                ShardSnapshot.read(placed, loaded, w);
                assertEquals(StateDigest.rows(live), StateDigest.rows(loaded));
                assertEquals(records(live), records(loaded));
                assertEquals(velocityWords(v), velocityWords(w));
            }
        }
    }

    @Test
    void keysOfOneHashStayApart() throws IOException {
        Path file = dir.resolve(ShardSnapshot.name(7));
        try (ShardState live = open("live"); VelocityWindows v = VelocityWindows.inMemory(1024)) {
            live.decisions().hasher = k -> k.length() % 4; // nearly every key shares its hash with others
            SnapshotFixture.fill(live, v);
            ShardSnapshot.write(file, 0, 7, T0 + 5_000, live, v, new QuotaTally());
            try (ShardState loaded = open("loaded"); VelocityWindows w = VelocityWindows.inMemory(1024)) {
                loaded.decisions().hasher = live.decisions().hasher;
                ShardSnapshot.read(file, loaded, w);
                assertEquals(records(live), records(loaded));
                for (int i = 0; i < 600; i++) {
                    String key = SnapshotFixture.key(i);
                    assertEquals(live.decisions().get(key).fingerprint(), loaded.decisions().get(key).fingerprint(),
                            key);
                }
            }
        }
    }

    @Test
    void readsTheFormatBefore() throws IOException {
        Path file = dir.resolve(ShardSnapshot.name(4242));
        try (InputStream in = getClass().getResourceAsStream("snapshot-format2.snap")) {
            assertNotNull(in);
            Files.copy(in, file);
        }
        assertEquals(2, ByteBuffer.wrap(Files.readAllBytes(file)).getInt(4));
        assertEquals(new ShardSnapshot.Header(0, 4242, T0 + 5_000), ShardSnapshot.verify(file));
        try (ShardState live = open("live"); VelocityWindows v = VelocityWindows.inMemory(1024);
                ShardState loaded = open("loaded"); VelocityWindows w = VelocityWindows.inMemory(1024)) {
            SnapshotFixture.fill(live, v);
            ShardSnapshot.read(file, loaded, w);
            assertEquals(StateDigest.rows(live), StateDigest.rows(loaded));
            assertEquals(records(live), records(loaded));
            assertEquals(velocityWords(v), velocityWords(w));
        }
    }

    @Test
    void refusesADamagedFileAndALaterFormat() throws IOException {
        Path file = dir.resolve(ShardSnapshot.name(4242));
        try (ShardState live = open("live"); VelocityWindows v = VelocityWindows.inMemory(1024)) {
            SnapshotFixture.fill(live, v);
            ShardSnapshot.write(file, 0, 4242, T0 + 5_000, live, v, new QuotaTally());
        }
        byte[] good = Files.readAllBytes(file);
        // one bit of an idempotency record (they follow the ledger and the holds: the file's middle)
        byte[] damaged = good.clone();
        damaged[good.length / 2] ^= 0x10;
        Files.write(file, damaged);
        assertNull(ShardSnapshot.verify(file));
        // a format this build does not know, with its checksum right
        byte[] later = good.clone();
        ByteBuffer.wrap(later).putInt(4, ShardSnapshot.FORMAT_PLACED + 1);
        CRC32C crc = new CRC32C();
        crc.update(later, 0, later.length - 4);
        ByteBuffer.wrap(later).putInt(later.length - 4, (int) crc.getValue());
        Files.write(file, later);
        assertNull(ShardSnapshot.verify(file));
        Files.write(file, good);
        assertNotNull(ShardSnapshot.verify(file));
    }

    @Test
    void aRecordThatIsNotOneIsRefused() throws IOException {
        try (ShardState s = open("s")) {
            s.decisions().restoreGenerations(0, T0);
            byte[] bytes = new byte[64];
            assertThrows(IllegalArgumentException.class, () -> s.decisions().restoreRaw(false, bytes, 64));
            ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.nativeOrder()).putInt(0, 64).putShort(4, (short) 3)
                    .putInt(24, 1_000);
            assertThrows(IllegalArgumentException.class, () -> s.decisions().restoreRaw(false, bytes, 64));
            ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.nativeOrder()).putInt(24, 64 - 28 - 6);
            s.decisions().restoreRaw(false, bytes, 64);
            assertEquals(1, s.decisions().size());
        }
    }
}
