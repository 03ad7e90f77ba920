package dev.formica.engine.state;

import static dev.formica.engine.state.StateTestSupport.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.formica.engine.files.OwnerOnly;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardStateTest {

    @TempDir
    Path tmp;

    private static void writeSome(ShardState s) {
        s.ledger().putLine("b-1", 1, 500_000, T0);
        s.ledger().apply("b-1", 1, 20_000, 5_000, T0 + 1);
        s.holds().put(7L, new HoldSnapshot().borrowerId("b-1").product(1).amountMinor(20_000).createdMs(T0)
                .expiresMs(T0 + 60_000).state(HoldState.ACTIVE).requestIdHash(99).addFunding(0, 20_000));
        s.holds().setState(7L, HoldState.CONFIRMED);
        s.decisions().put("req-1", (byte) 1, T0, "response".getBytes(StandardCharsets.UTF_8));
        s.profiles().put("b-1", "first".getBytes(StandardCharsets.UTF_8));
        s.profiles().put("b-1", "profile".getBytes(StandardCharsets.UTF_8));
    }

    private static void assertSome(ShardState s) {
        LedgerSnapshot line = new LedgerSnapshot();
        assertTrue(s.ledger().get("b-1", 1, line));
        assertEquals(500_000, line.lineMinor());
        assertEquals(20_000, line.heldMinor());
        assertEquals(5_000, line.drawnMinor());
        assertEquals(2, line.version());
        HoldSnapshot hold = new HoldSnapshot();
        assertTrue(s.holds().get(7L, hold));
        assertEquals("b-1", hold.borrowerId().toString());
        assertEquals(20_000, hold.fundingAmountMinor(0));
        assertEquals(HoldState.CONFIRMED, hold.state());
        DecisionRecord record = s.decisions().get("req-1");
        assertArrayEquals("response".getBytes(StandardCharsets.UTF_8), record.payload());
        assertArrayEquals("profile".getBytes(StandardCharsets.UTF_8), s.profiles().get("b-1"));
    }

    @Test
    void shouldStartEmptyInMemoryAndLeaveOnlyTheLockMarkerOnDisk() throws IOException {
        assumeTrue(OwnerOnly.posix(tmp), "POSIX permissions not supported here");
        Path dir = tmp.resolve("a").resolve("shard-0");
        try (ShardState s = StateTestSupport.open(dir)) {
            writeSome(s);
            assertSome(s);
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            List<Path> files;
            try (Stream<Path> list = Files.list(dir)) {
                files = list.collect(Collectors.toList());
            }
            assertEquals(List.of(dir.resolve(ShardState.MARKER)), files,
                    "the stores live in memory: the shard log, not the maps, is on the disk");
        }
        try (ShardState s = StateTestSupport.open(dir)) {
            assertFalse(s.recoveredFromCrash());
            assertEquals(0, s.ledger().size(), "a reopened shard is empty until its log is replayed");
        }
    }

    @Test
    void shouldSayWhenThePreviousRunDidNotClose() throws IOException {
        Path dir = tmp.resolve("shard-0");
        ShardState crashed = StateTestSupport.open(dir);
        writeSome(crashed);
        crashed.closeLeavingMarker();
        try (ShardState s = StateTestSupport.open(dir)) {
            assertTrue(s.recoveredFromCrash());
        }
    }

    @Test
    void shouldRefuseASecondOpenOfTheSameDirectory() throws IOException {
        Path dir = tmp.resolve("shard-0");
        try (ShardState s = StateTestSupport.open(dir)) {
            assertThrows(IllegalStateException.class, () -> StateTestSupport.open(dir));
            s.ledger().putLine("b-1", 1, 1, T0);
        }
    }

    @Test
    void shouldRejectInvalidConfigWithTheSettingName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StateConfig.defaults().withSizes(0, 1, 1));
        assertTrue(e.getMessage().contains("expectedBorrowers"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StateConfig.defaults().withDecisionGenerationMillis(-1));
    }
}
