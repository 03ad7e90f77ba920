package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.v1.Product;
import java.io.BufferedReader;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

class TraceReaderTest {
    private static List<TraceRecord> read(String text) throws Exception {
        return TraceReader.read(new BufferedReader(new StringReader(text)), "t");
    }

    @Test
    void shouldReadCsvWithHeaderCommentsAndProductNames() throws Exception {
        List<TraceRecord> r = read("ts_ms,borrower_id,product,amount_minor,device_id,merchant_id\n"
                + "# a comment\n"
                + "1700000000500,b7,CASH_LOAN,150000,d7,\n"
                + "\n"
                + "1700000000000,b1,consumer_credit,19900,d1,m42\n"
                + "1700000001000,b2,3,5000000,,m1\n");
        assertEquals(3, r.size());
        assertEquals(new TraceRecord(1700000000000L, "b1", Product.CONSUMER_CREDIT, 19900, "d1", "m42"), r.get(0));
        assertEquals(Product.CASH_LOAN, r.get(1).product());
        assertEquals("", r.get(1).merchantId());
        assertEquals(Product.BUSINESS_LOAN, r.get(2).product());
        assertEquals(5_000_000L, r.get(2).amountMinor());
    }

    @Test
    void shouldReadJsonLines() throws Exception {
        List<TraceRecord> r = read("{\"ts_ms\": 1000, \"borrower_id\": \"b1\", \"product\": \"CONSUMER_CREDIT\", "
                + "\"amount_minor\": 20000, \"device_id\": \"d\\u0031\", \"merchant_id\": null}\n"
                + "{\"amount_minor\":300000,\"ts_ms\":1500,\"borrower_id\":\"b\\\"2\",\"product\":\"CASH_LOAN\"}\n");
        assertEquals(2, r.size());
        assertEquals(new TraceRecord(1000, "b1", Product.CONSUMER_CREDIT, 20000, "d1", ""), r.get(0));
        assertEquals("b\"2", r.get(1).borrowerId());
        assertEquals("", r.get(1).deviceId());
    }

    @Test
    void shouldReportTheLineNumberOfABadCsvLine() {
        TraceFormatException e = assertThrows(TraceFormatException.class, () -> read(
                "1000,b1,CONSUMER_CREDIT,100,d,m\n# fine\n2000,b2,CONSUMER_CREDIT,12x,d,m\n"));
        assertEquals(3, e.lineNumber());
        assertTrue(e.getMessage().startsWith("t:3: amount_minor"), e.getMessage());
    }

    @Test
    void shouldReportBadProductsAndFieldCounts() {
        TraceFormatException product = assertThrows(TraceFormatException.class,
                () -> read("1000,b1,MORTGAGE,100,d,m\n"));
        assertTrue(product.getMessage().contains("product"), product.getMessage());
        TraceFormatException fields = assertThrows(TraceFormatException.class, () -> read("1000,b1,CASH_LOAN\n"));
        assertEquals(1, fields.lineNumber());
        TraceFormatException amount = assertThrows(TraceFormatException.class,
                () -> read("1000,b1,CASH_LOAN,0,d,m\n"));
        assertTrue(amount.getMessage().contains("must be > 0"));
    }

    @Test
    void shouldReportTheLineNumberOfABadJsonLine() {
        TraceFormatException e = assertThrows(TraceFormatException.class, () -> read(
                "{\"ts_ms\":1,\"borrower_id\":\"b\",\"product\":\"CASH_LOAN\",\"amount_minor\":5}\n"
                        + "{\"ts_ms\":2,\"borrower_id\":\"b\",\"product\":\"CASH_LOAN\",\"amount_minor\":5\n"));
        assertEquals(2, e.lineNumber());
    }

    @Test
    void shouldReplayTheTraceTimetableWithSpeedup() throws Exception {
        List<TraceRecord> r = read("1000,b1,CASH_LOAN,100,d,m\n1010,b1,CASH_LOAN,100,d,m\n3000,b1,CASH_LOAN,100,d,m\n");
        Schedule s = TraceReader.schedule(r, 2.0);
        assertEquals(0L, s.offsetNanos(0));
        assertEquals(5_000_000L, s.offsetNanos(1));
        assertEquals(1_000_000_000L, s.offsetNanos(2));
        assertEquals(Schedule.END, s.offsetNanos(3));
    }
}
