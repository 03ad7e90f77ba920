package dev.formica.engine.state;

import static dev.formica.engine.state.StateTestSupport.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One entry per borrower ({@link BorrowerBook}) holding its lines and its activity: the combined read and the
 * approval's combined write are what the ledger's and the activity's own methods give and record, and the two views
 * count, visit and snapshot only what each of them holds.
 */
class BorrowerBookTest {

    @TempDir
    Path tmp;

    private ShardState state;
    private final BorrowerBook.Reading reading = new BorrowerBook.Reading();
    private final LedgerSnapshot line = new LedgerSnapshot();
    private final BorrowerActivity.Reading activity = new BorrowerActivity.Reading();

    @BeforeEach
    void open() throws IOException {
        state = StateTestSupport.open(tmp.resolve("shard"));
    }

    @AfterEach
    void close() throws IOException {
        state.close();
    }

    @Test
    void shouldReadInOneCallWhatTheLedgerAndTheActivityGiveForEveryKindOfBorrower() {
        Random random = new Random(19);
        List<String> borrowers = new ArrayList<>();
        for (int b = 0; b < 600; b++) {
            String id = "b-" + b;
            borrowers.add(id);
            for (int p = 1; p <= 3; p++) {
                if (random.nextInt(3) == 0) {
                    state.ledger().putLine(id, p, 1_000 + b, T0);
                    state.ledger().apply(id, p, random.nextInt(500), random.nextInt(500), T0 + p);
                    if (random.nextBoolean()) {
                        state.ledger().setFrozen(id, p, true, T0);
                    }
                    state.ledger().setGrade(id, p, random.nextInt(6), T0);
                }
            }
            if (random.nextInt(3) == 0) {
                state.activity().recordApproval(id, 100 + random.nextInt(900), random.nextInt(3), T0);
            }
            if (random.nextInt(4) == 0) {
                state.activity().setWatch(id, true, T0);
            }
        }
        borrowers.add("never-seen");
        for (String id : borrowers) {
            assertSame(reading, state.borrowers().read(id, reading));
            for (int p = 1; p <= 3; p++) {
                boolean has = state.ledger().get(id, p, line);
                assertEquals(has, reading.hasLine(p), id + "/" + p);
                if (has) {
                    assertEquals(line.toString(), reading.line(p).toString(), id + "/" + p);
                    assertEquals(line.heldMinor() + line.drawnMinor(), reading.usedMinor(p));
                } else {
                    assertEquals(0, reading.usedMinor(p));
                }
            }
            state.activity().read(id, activity);
            assertEquals(activity.describe(), reading.activity().describe(), id);
        }
        assertThrows(IllegalArgumentException.class, () -> reading.hasLine(0));
        assertThrows(IllegalArgumentException.class, () -> reading.line(4));
    }

    @Test
    void shouldApproveAsApplyThenRecordApprovalAndRecordTheSameOperations() throws IOException {
        try (ShardState separate = StateTestSupport.open(tmp.resolve("separate"))) {
            StateOps combinedOps = state.ops();
            StateOps separateOps = separate.ops();
            for (ShardState s : List.of(state, separate)) {
                s.ledger().putLine("b-1", 2, 50_000, T0);
                s.ledger().putLine("b-2", 1, 50_000, T0);
                s.activity().setWatch("b-2", true, T0);
                s.ops().recording(true);
            }
            for (int i = 0; i < 6; i++) {
                String id = i % 2 == 0 ? "b-1" : "b-2";
                int product = i % 2 == 0 ? 2 : 1;
                long amount = 1_000 + 37L * i;
                long device = i % 3 == 0 ? 0 : 40 + i % 5;
                long version = state.borrowers().approve(id, product, amount, device, T0 + i);
                assertEquals(separate.ledger().apply(id, product, amount, 0, T0 + i), version);
                separate.activity().recordApproval(id, amount, device, T0 + i);
            }
            assertEquals(StateDigest.rows(separate), StateDigest.rows(state));
            assertEquals(separate.ledger().heldTotalMinor(1), state.ledger().heldTotalMinor(1));
            assertEquals(separate.ledger().heldTotalMinor(2), state.ledger().heldTotalMinor(2));
            assertEquals(separate.activity().size(), state.activity().size());
            assertArrayEquals(bytes(separateOps), bytes(combinedOps), "the same operations, in the same order");
        }
    }

    @Test
    void shouldRefuseAnApprovalWithoutItsLineOrPastOverflowAndChangeAndRecordNothing() {
        state.ledger().putLine("b-1", 1, 10, T0);
        state.ledger().apply("b-1", 1, Long.MAX_VALUE - 10, 0, T0);
        StateOps ops = state.ops();
        ops.recording(true);
        String before = StateDigest.of(state);
        assertThrows(IllegalStateException.class, () -> state.borrowers().approve("b-1", 2, 5, 7, T0 + 1));
        assertThrows(IllegalStateException.class, () -> state.borrowers().approve("nobody", 1, 5, 7, T0 + 1));
        assertThrows(ArithmeticException.class, () -> state.borrowers().approve("b-1", 1, 11, 7, T0 + 1));
        assertEquals(before, StateDigest.of(state));
        assertEquals(0, ops.length());
        assertEquals(0, state.activity().size(), "no activity was created");
    }

    @Test
    void shouldCountAndVisitTheLinesAndTheActivitiesOfSharedEntriesSeparately() {
        state.ledger().putLine("lines-only", 1, 100, T0);
        state.ledger().putLine("lines-only", 3, 300, T0);
        state.activity().recordApproval("activity-only", 5, 0, T0);
        state.ledger().putLine("both", 2, 200, T0);
        state.activity().setWatch("both", true, T0);
        state.activity().setWatch("both", false, T0 + 1); // a second change adds no activity
        state.ledger().putLine("both", 2, 250, T0 + 1); // nor a second put a line
        assertEquals(3, state.ledger().size());
        assertEquals(2, state.activity().size());
        assertEquals(3, state.borrowers().size());
        List<String> lines = new ArrayList<>();
        state.ledger().forEach((b, p, l) -> lines.add(b + "/" + p + "=" + l.lineMinor()));
        lines.sort(null);
        assertEquals(List.of("both/2=250", "lines-only/1=100", "lines-only/3=300"), lines);
        List<String> activities = new ArrayList<>();
        state.activity().forEach((b, r) -> activities.add(b + "=" + r.count()));
        activities.sort(null);
        assertEquals(List.of("activity-only=1", "both=0"), activities);
        assertFalse(state.ledger().get("activity-only", 1, line), "an activity is no line");
        assertFalse(state.ledger().applyIfPresent("activity-only", 1, 1, 0, T0));
        assertEquals(0, state.activity().read("lines-only", activity).count(), "lines are no activity");
        assertFalse(state.activity().read("lines-only", activity).watch());
    }

    @Test
    void shouldRestoreLinesAndActivityIntoOneEntryAsTheyWereWhateverTheOrder() throws IOException {
        state.ledger().putLine("b-1", 1, 100, T0);
        state.ledger().apply("b-1", 1, 7, 3, T0 + 1);
        state.ledger().setFrozen("b-1", 1, true, T0 + 2);
        state.ledger().putLine("b-1", 3, 300, T0);
        state.activity().recordApproval("b-1", 7, 99, T0 + 1);
        state.activity().setWatch("b-2", true, T0);
        state.ledger().putLine("b-2", 2, 200, T0);
        try (ShardState other = StateTestSupport.open(tmp.resolve("other"))) {
            // the activity first for b-1 (the snapshot writes the ledger's section first), to cover both orders
            state.activity().forEach((b, r) -> other.activity().restore(b, r));
            state.ledger().forEach((b, p, l) -> other.ledger().restore(b, p, l));
            assertEquals(StateDigest.rows(state), StateDigest.rows(other));
            assertEquals(state.ledger().size(), other.ledger().size());
            assertEquals(state.activity().size(), other.activity().size());
            assertEquals(state.ledger().heldTotalMinor(1), other.ledger().heldTotalMinor(1));
            assertEquals(state.ledger().drawnTotalMinor(1), other.ledger().drawnTotalMinor(1));
            // restoring again over what is there changes neither the counts nor the sums
            state.ledger().forEach((b, p, l) -> other.ledger().restore(b, p, l));
            state.activity().forEach((b, r) -> other.activity().restore(b, r));
            assertEquals(3, other.ledger().size());
            assertEquals(2, other.activity().size());
            assertEquals(7, other.ledger().heldTotalMinor(1));
            assertEquals(StateDigest.rows(state), StateDigest.rows(other));
        }
    }

    @Test
    void shouldCountOnlyWhatAFullMapTookSoASnapshotWritesTheRecordsItCounts() throws IOException {
        try (ShardState small = ShardState.open(tmp.resolve("small"),
                StateTestSupport.smallConfig().withSizes(100, 100, 100), T0)) {
            int taken = 0;
            RuntimeException refused = null;
            for (int b = 0; b < 1_000_000 && refused == null; b++) {
                try {
                    small.ledger().putLine("b-" + b, 1, 100, T0);
                    taken++;
                } catch (IllegalStateException e) {
                    refused = e; // Chronicle Map: no room for another entry
                }
            }
            assertNotNull(refused, "the map sized for 100 borrowers filled before 1,000,000");
            long[] visited = new long[2];
            small.ledger().forEach((b, p, l) -> visited[0]++);
            assertEquals(taken, small.ledger().size());
            assertEquals(taken, visited[0], "a snapshot writes as many lines as it counts");
            assertThrows(IllegalStateException.class, () -> small.activity().recordApproval("new-one", 5, 0, T0));
            assertThrows(IllegalStateException.class, () -> small.activity().setWatch("new-two", true, T0));
            small.activity().recordApproval("b-0", 5, 0, T0); // a borrower the map holds: in place
            small.activity().forEach((b, r) -> visited[1]++);
            assertEquals(1, small.activity().size());
            assertEquals(1, visited[1]);
        }
    }

    private static byte[] bytes(StateOps ops) {
        byte[] b = new byte[ops.length()];
        ops.buffer().getBytes(0, b);
        return b;
    }
}
