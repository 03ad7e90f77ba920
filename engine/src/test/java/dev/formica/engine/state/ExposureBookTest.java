package dev.formica.engine.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A line's exposure record changed in place ({@link ExposureBook#update}) as a read and a write would change it. */
class ExposureBookTest {

    @TempDir
    Path tmp;

    private ShardState state;
    private ExposureBook book;
    private final StateOps ops = new StateOps();

    @BeforeEach
    void open() throws IOException {
        state = StateTestSupport.open(tmp.resolve("shard"));
        book = state.exposures();
        ops.recording(true);
        book.ops = ops;
    }

    @AfterEach
    void close() throws IOException {
        state.close();
    }

    @Test
    void shouldChangeStoreAndRecordARecordInOneUpdate() {
        ExposureRecord r = new ExposureRecord().region("CN-31").group("g");
        r.add(7, "m1", "", 100);
        r.add(8, "m2", "", 50);
        book.write("b-1", 1, r);
        int before = ops.length();
        ExposureRecord seen = new ExposureRecord();
        assertTrue(book.update("b-1", 1, seen, record -> {
            record.remove(record.indexOfHold(7));
            return true;
        }));
        assertTrue(ops.length() > before, "the new record is recorded for the log");
        ExposureRecord stored = new ExposureRecord();
        assertTrue(book.read("b-1", 1, stored));
        assertEquals("region=CN-31 group=g [8 m2/ 50]", stored.toString());
        assertEquals(stored.toString(), seen.toString(), "the caller's record is the stored one");
    }

    @Test
    void shouldRemoveARecordLeftEmptyAndLeaveOneUnchangedWhenAsked() {
        ExposureRecord r = new ExposureRecord().region("CN-31");
        r.add(7, "m1", "", 100);
        book.write("b-1", 2, r);
        int before = ops.length();
        assertTrue(book.update("b-1", 2, new ExposureRecord(), record -> false));
        assertEquals(before, ops.length(), "an unchanged record is neither stored nor recorded");
        assertTrue(book.read("b-1", 2, new ExposureRecord()));
        assertTrue(book.update("b-1", 2, new ExposureRecord(), record -> {
            record.remove(0);
            return true;
        }));
        assertTrue(ops.length() > before, "the removal is recorded");
        assertFalse(book.read("b-1", 2, new ExposureRecord()), "a record with no entries is removed");
        assertEquals(0, book.size());
        boolean[] called = {false};
        assertFalse(book.update("b-1", 2, new ExposureRecord(), record -> called[0] = true));
        assertFalse(called[0], "no record: the change is not called");
    }
}
