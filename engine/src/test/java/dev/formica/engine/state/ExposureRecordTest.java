package dev.formica.engine.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** One line's concentration attribution: holds by id, drawn tranches oldest first, the encoding. */
class ExposureRecordTest {
    @Test
    void shouldTurnAConfirmedHoldIntoTheDrawnTrancheOfItsMerchant() {
        ExposureRecord r = new ExposureRecord().region("CN-31").group("g");
        r.add(0, "m1", "", 100);
        r.add(7, "m2", "", 50);
        r.add(8, "m1", "", 30);
        r.confirm(r.indexOfHold(8));
        assertEquals("region=CN-31 group=g [drawn m1/ 130] [7 m2/ 50]", r.toString(), "merged into m1's tranche");
        r.confirm(r.indexOfHold(7));
        assertEquals("region=CN-31 group=g [drawn m1/ 130] [drawn m2/ 50]", r.toString());
        assertEquals(180, r.total());
        assertEquals(0, r.held());
    }

    @Test
    void shouldRepayTheOldestTrancheFirstAndKeepHoldsOutOfIt() {
        ExposureRecord r = new ExposureRecord();
        r.add(9, "hold", "", 70);
        r.add(0, "old", "", 100);
        r.add(0, "new", "", 50);
        int oldest = r.oldestDrawn();
        assertEquals("old", r.merchant(oldest).toString());
        r.reduce(oldest, 100);
        assertEquals("new", r.merchant(r.oldestDrawn()).toString());
        assertEquals(120, r.total());
        assertEquals(70, r.held());
    }

    @Test
    void shouldRoundTripItsEncoding() {
        ExposureRecord r = new ExposureRecord().region("CN-44").group("grp");
        r.add(0x1234, "merchant-é", "5411", 42);
        r.add(0, "", "", 7);
        UnsafeBuffer buf = new UnsafeBuffer(new byte[r.encodedLength()]);
        int n = r.encode(buf);
        assertEquals(r.encodedLength(), n);
        assertEquals(r.toString(), new ExposureRecord().decode(buf, 0, n).toString());
    }

    @Test
    void shouldDropTheOldestAttributionWhenFull() {
        ExposureRecord r = new ExposureRecord();
        for (int i = 0; i < ExposureRecord.MAX_ENTRIES; i++) {
            r.add(0, "m" + i, "", 10);
        }
        assertTrue(r.full());
        ExposureRecord dropped = new ExposureRecord();
        assertTrue(r.makeRoom(dropped));
        assertEquals("m0", dropped.merchant(0).toString(), "the oldest tranche lost its merchant");
        assertEquals("", r.merchant(0).toString());
        assertTrue(r.makeRoom(dropped));
        assertEquals("m1", dropped.merchant(0).toString());
        assertEquals(20, r.amount(0), "merged into the unattributed tranche");
        assertEquals(ExposureRecord.MAX_ENTRIES - 1, r.count());
        assertEquals(10L * ExposureRecord.MAX_ENTRIES, r.total(), "nothing is lost from the total");
    }
}
