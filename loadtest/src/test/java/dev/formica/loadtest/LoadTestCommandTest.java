package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LoadTestCommandTest {
    private final StringWriter err = new StringWriter();

    private int execute(String... args) {
        CommandLine cl = new CommandLine(new LoadTestCommand());
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        return cl.execute(args);
    }

    @Test
    void shouldRefuseANonLoopbackTargetWithoutAllowRemote() {
        assertEquals(2, execute("--target", "10.1.2.3:50051", "--duration", "1s"));
        assertTrue(err.toString().contains("--allow-remote"), err.toString());
    }

    @Test
    void shouldRejectConflictingAndOutOfRangeOptions() {
        assertEquals(2, execute("--rate", "100", "--profile", "double11"));
        assertTrue(err.toString().contains("--base-rate"), err.toString());
        assertEquals(2, execute("--duration", "11m"));
        assertEquals(2, execute("--find-max", "--profile", "double11"));
        assertEquals(2, execute("--confirm-share", "0.7", "--cancel-share", "50%"));
        assertEquals(2, execute("--max-errors", "2"));
    }

    @Test
    void shouldGiveEachLoopSenderLaneASlotInFlight() {
        assertEquals(2, execute("--sender", "loop", "--senders", "4", "--max-in-flight", "3"));
        assertTrue(err.toString().contains("--max-in-flight: at least --senders with --sender loop"), err.toString());
        assertEquals(2, execute("--sender", "fibres"));
    }

    @Test
    void shouldTakeTheSearchOrderOptionsOnlyForAFindMaxOfBoth() {
        assertEquals(2, execute("--find-max", "--echo-rate", "10000"));
        assertTrue(err.toString().contains("--echo-rate and --echo-first"), err.toString());
        assertEquals(2, execute("--target-rpc", "both", "--echo-first"));
        assertEquals(2, execute("--find-max", "--target-rpc", "both", "--echo-rate", "0"));
        assertTrue(err.toString().contains("--echo-rate: must be in"), err.toString());
    }

    @Test
    void shouldReportABadTraceLineWithItsNumber() throws Exception {
        java.nio.file.Path trace = java.nio.file.Files.createTempFile("trace", ".csv");
        java.nio.file.Files.writeString(trace, "1,b1,CASH_LOAN,100,d,m\n2,b1,CASH_LOAN,oops,d,m\n");
        assertEquals(2, execute("--trace", trace.toString(), "--target", "127.0.0.1:1"));
        assertTrue(err.toString().contains(":2: amount_minor"), err.toString());
        java.nio.file.Files.delete(trace);
    }

    @Test
    void shouldFindTheHostOfATarget() {
        assertEquals("127.0.0.1", LoadTestCommand.hostOf("127.0.0.1:50051"));
        assertEquals("::1", LoadTestCommand.hostOf("[::1]:50051"));
        assertEquals("localhost", LoadTestCommand.hostOf("dns:///localhost:50051"));
    }

    @Test
    void shouldParseDurationsAndShares() {
        DurationConverter d = new DurationConverter();
        assertEquals(Duration.ofMillis(500), d.convert("500ms"));
        assertEquals(Duration.ofSeconds(20), d.convert("20s"));
        assertEquals(Duration.ofMinutes(10), d.convert("10m"));
        assertEquals(Duration.ofSeconds(90), d.convert("PT1M30S"));
        assertThrows(CommandLine.TypeConversionException.class, () -> d.convert("soon"));
        ShareConverter s = new ShareConverter();
        assertEquals(0.01, s.convert("1%"), 1e-12);
        assertEquals(0.25, s.convert("0.25"), 1e-12);
    }

    @Test
    void shouldParsePhasesAndRejectTheOptionsTheyReplace() {
        Phase.Converter p = new Phase.Converter();
        assertEquals(new Phase("over", 8000, Duration.ofSeconds(20), Duration.ofSeconds(2)),
                p.convert("over:8000:20s:2s"));
        assertEquals(new Phase("a_1", 2.5, Duration.ofMillis(500), Duration.ZERO), p.convert("a_1:2.5:500ms"));
        String[] bad = {"over:8000", "over:0:20s", "over:x:20s", "o v:10:1s", "over:10:11m", "over:10:0s",
            "over:10:1s:1s:1s"};
        for (String b : bad) {
            assertThrows(CommandLine.TypeConversionException.class, () -> p.convert(b), b);
        }
        assertEquals(2, execute("--phase", "a:10:1s", "--rate", "100"));
        assertTrue(err.toString().contains("--phase sets"), err.toString());
        assertEquals(2, execute("--phase", "a:10:1s", "--find-max"));
        assertEquals(2, execute("--phase", "a:10"));
    }
}
