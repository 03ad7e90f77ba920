package dev.formica.engine.state;

import static dev.formica.engine.state.SnapshotFixture.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void aGroupSnapshotWithAPlacementLoadsLikeOneWithout() throws IOException {
        Path placed = dir.resolve("placed.snap");
        Path plain = dir.resolve(ShardSnapshot.name(4242));
        try (ShardState live = open("live"); VelocityWindows v = VelocityWindows.inMemory(1024)) {
            SnapshotFixture.fill(live, v);
            ShardSnapshot.write(placed, 2, 4242, T0 + 5_000, 1, 77, live, v, new QuotaTally());
            ShardSnapshot.write(plain, 2, 4242, T0 + 5_000, live, v, new QuotaTally());
            assertEquals(ShardSnapshot.FORMAT, ByteBuffer.wrap(Files.readAllBytes(placed)).getInt(4));
            assertEquals(ShardSnapshot.FORMAT, ByteBuffer.wrap(Files.readAllBytes(plain)).getInt(4));
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

    /**
     * {@code snapshot-format3.snap} is {@link SnapshotFixture}'s state written by the build before format 5
     * ({@code baec0ca}, the idempotency records one by one in the store's layout), as the format-2 file was.
     */
    @Test
    void readsTheFormatsBefore() throws IOException {
        readsTheFormat(2);
        readsTheFormat(3);
    }

    private void readsTheFormat(int format) throws IOException {
        Path file = dir.resolve(ShardSnapshot.name(4242 + format));
        try (InputStream in = getClass().getResourceAsStream("snapshot-format" + format + ".snap")) {
            assertNotNull(in);
            Files.copy(in, file);
        }
        assertEquals(format, ByteBuffer.wrap(Files.readAllBytes(file)).getInt(4));
        assertEquals(new ShardSnapshot.Header(0, 4242, T0 + 5_000), ShardSnapshot.verify(file));
        try (ShardState live = open("live" + format); VelocityWindows v = VelocityWindows.inMemory(1024);
                ShardState loaded = open("loaded" + format); VelocityWindows w = VelocityWindows.inMemory(1024)) {
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
        ByteBuffer.wrap(later).putInt(4, ShardSnapshot.FORMAT + 1);
        CRC32C crc = new CRC32C();
        crc.update(later, 0, later.length - 4);
        ByteBuffer.wrap(later).putInt(later.length - 4, (int) crc.getValue());
        Files.write(file, later);
        assertNull(ShardSnapshot.verify(file));
        Files.write(file, good);
        assertNotNull(ShardSnapshot.verify(file));
    }

    /**
     * {@link ShardSnapshot#readIfValid}: the checksum taken over the mapping the load reads loads a good file as
     * {@code read} does, and refuses a damaged one, one of a later format, one cut short and another shard's before
     * anything is loaded (the stores stay empty, the velocity table is never asked for).
     */
    @Test
    void checksAndLoadsInOneReadingAndLoadsNothingFromARefusedFile() throws IOException {
        Path file = dir.resolve(ShardSnapshot.name(4242));
        try (ShardState live = open("live"); VelocityWindows v = VelocityWindows.inMemory(1024)) {
            SnapshotFixture.fill(live, v);
            ShardSnapshot.write(file, 1, 4242, T0 + 5_000, live, v, new QuotaTally());
            byte[] good = Files.readAllBytes(file);
            byte[] damaged = good.clone();
            damaged[good.length / 2] ^= 0x10;
            byte[] later = good.clone();
            ByteBuffer.wrap(later).putInt(4, ShardSnapshot.FORMAT + 1);
            CRC32C crc = new CRC32C();
            crc.update(later, 0, later.length - 4);
            ByteBuffer.wrap(later).putInt(later.length - 4, (int) crc.getValue());
            byte[] trailer = good.clone();
            trailer[good.length - 1] ^= 0x01;
            int[] asked = {0};
            int n = 0;
            for (byte[] refused : new byte[][] {damaged, later, trailer, java.util.Arrays.copyOf(good, 30)}) {
                Files.write(file, refused);
                try (ShardState loaded = open("refused" + n++)) {
                    assertNull(ShardSnapshot.readIfValid(file, 1, loaded, () -> {
                        asked[0]++;
                        return v;
                    }));
                    assertEquals(0, loaded.ledger().size());
                    assertEquals(0, loaded.holds().size());
                    assertEquals(0, loaded.decisions().size());
                }
            }
            Files.write(file, good);
            try (ShardState other = open("other")) {
                assertNull(ShardSnapshot.readIfValid(file, 0, other, () -> v), "shard 1's snapshot, not shard 0's");
                assertEquals(0, other.ledger().size());
            }
            assertEquals(0, asked[0]);
            try (ShardState loaded = open("loaded"); VelocityWindows w = VelocityWindows.inMemory(1024)) {
                ShardSnapshot.Loaded got = ShardSnapshot.readIfValid(file, 1, loaded, () -> w);
                assertNotNull(got);
                assertEquals(new ShardSnapshot.Header(1, 4242, T0 + 5_000, -1, -1), got.header());
                assertEquals(StateDigest.rows(live), StateDigest.rows(loaded));
                assertEquals(records(live), records(loaded));
                assertEquals(velocityWords(v), velocityWords(w));
            }
        }
    }

    /** Fills the records' two generations with more than two whole chunks each: records of 1 byte to 16 KiB. */
    private static void fillChunks(DecisionRecords records) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        for (int generation = 0; generation < 2; generation++) {
            long start = T0 + generation * SnapshotFixture.GENERATION_MS;
            records.rotateTo(start);
            for (int i = 0; i < 2_400; i++) {
                int size = 1 + random.nextInt(StateConfig.MAX_PAYLOAD_BYTES);
                records.put("big-" + generation + "-" + i, (byte) 1, start + i, random.nextLong(),
                        SnapshotFixture.bytes(size, i));
            }
            // replaced: the old record stays in its chunk, unreachable, and is not written
            records.put("big-" + generation + "-3", (byte) 2, start + 2_000, 1L, SnapshotFixture.bytes(9, 1));
        }
    }

    @Test
    void wholeChunksAreTakenFromTheFileMappedAndOutliveIt() throws IOException {
        Path file = dir.resolve(ShardSnapshot.name(9));
        Path again = dir.resolve(ShardSnapshot.name(10));
        try (ShardState live = open("live"); VelocityWindows v = VelocityWindows.inMemory(1024);
                ShardState loaded = open("loaded"); VelocityWindows w = VelocityWindows.inMemory(1024)) {
            fillChunks(live.decisions());
            long bytes = live.decisions().offHeapBytes();
            assertEquals(6 * DecisionRecords.CHUNK_BYTES, bytes, "three chunks in each generation");
            ShardSnapshot.write(file, 0, 9, T0 + 5_000, live, v, new QuotaTally());
            assertNotNull(ShardSnapshot.verify(file));
            ShardSnapshot.read(file, loaded, w);
            assertEquals(4, loaded.decisions().mappedChunks(), "every chunk but each generation's last mapped");
            assertEquals(records(live), records(loaded));
            assertEquals(live.decisions().size(), loaded.decisions().size());
            // the mapping outlives the file's name (the builder deletes old snapshots while a generation lives)
            Files.delete(file);
            assertEquals(records(live), records(loaded));
            // new records go after the mapped chunks, found and replaced like any other
            for (DecisionRecords r : new DecisionRecords[] {live.decisions(), loaded.decisions()}) {
                for (int i = 0; i < 700; i++) {
                    r.put("new-" + i, (byte) 3, T0 + SnapshotFixture.GENERATION_MS + 3_000 + i, i,
                            SnapshotFixture.bytes(16_000, i));
                }
                r.put("big-1-10", (byte) 2, T0 + SnapshotFixture.GENERATION_MS + 4_000, 77L, new byte[] {7});
            }
            assertEquals(77L, loaded.decisions().get("big-1-10").fingerprint());
            assertEquals(records(live), records(loaded));
            // a snapshot of the loaded state (its records partly in mapped chunks) loads back the same
            ShardSnapshot.write(again, 0, 10, T0 + 6_000, loaded, w, new QuotaTally());
            try (ShardState reloaded = open("reloaded"); VelocityWindows x = VelocityWindows.inMemory(1024)) {
                ShardSnapshot.read(again, reloaded, x);
                assertEquals(records(live), records(reloaded));
                assertEquals(StateDigest.rows(live), StateDigest.rows(reloaded));
            }
            // a rotation drops the previous generation, its mapped chunks unmapped
            loaded.decisions().rotateTo(T0 + 10 * SnapshotFixture.GENERATION_MS);
            assertEquals(2, loaded.decisions().mappedChunks(), "the dropped generation's two unmapped");
            assertEquals(live.decisions().get("new-5").fingerprint(), loaded.decisions().get("new-5").fingerprint());
        }
    }

    @Test
    void aMappedChunkThatIsNotRecordsIsRefusedThoughItsChecksumHolds() throws IOException {
        Path file = dir.resolve(ShardSnapshot.name(11));
        try (ShardState live = open("live"); VelocityWindows v = VelocityWindows.inMemory(1024)) {
            fillChunks(live.decisions());
            ShardSnapshot.write(file, 0, 11, T0 + 5_000, live, v, new QuotaTally());
        }
        byte[] bytes = Files.readAllBytes(file);
        // the second record of the previous generation's first chunk (mapped): its length made too long
        int first = indexOf(bytes, "big-0-0".getBytes(java.nio.charset.StandardCharsets.UTF_16LE)) - 28;
        assertEquals(0, first % ShardSnapshot.CHUNK_ALIGNMENT, "the chunk starts at a page of the file");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.nativeOrder());
        int second = first + b.getInt(first);
        b.putInt(second, b.getInt(second) + 8);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());
        Files.write(file, bytes);
        assertNotNull(ShardSnapshot.verify(file), "the checksum holds");
        try (ShardState loaded = open("loaded"); VelocityWindows w = VelocityWindows.inMemory(1024)) {
            IOException e = assertThrows(IOException.class, () -> ShardSnapshot.read(file, loaded, w));
            assertTrue(e.getMessage().contains("not a stored record"), e.getMessage());
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
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
