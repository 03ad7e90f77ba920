package dev.formica.engine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.log.Durability;
import dev.formica.engine.log.LogChannel;
import dev.formica.engine.log.LogSegments;
import dev.formica.engine.log.LogWriter;
import dev.formica.engine.log.ShardLog;
import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.engine.rules.Features;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.state.StateOps;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.Reason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecisionJournalTest {
    static final long T0 = 1_780_000_000_000L;
    static final CompiledRuleSet RULES = DefaultRuleSet.compile(RegulatoryParameters.builtin());

    @TempDir
    Path dir;

    static DecisionRequest request(int k) {
        return DecisionRequest.newBuilder().setRequestId("r" + k).setBorrowerId("b" + k)
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(1000L * k).setRegion("CN-31").build();
    }

    static DecisionResponse response(int k) {
        return DecisionResponse.newBuilder().setRequestId("r" + k).setOutcome(k % 3 == 0 ? Outcome.DECLINE
                : Outcome.APPROVE).setScore(600 + k).setRuleSetVersion(RULES.version())
                .addReasons(Reason.newBuilder().setCode("CODE_" + k).setText("text")).build();
    }

    static FeatureVector features(int k) {
        FeatureVector f = new FeatureVector(RULES.layout().size());
        f.setInt(Features.AMOUNT_MINOR, 1000L * k).setString(Features.REGION, "CN-31")
                .setBool(Features.DEVICE_NEW, k % 2 == 0).setDouble(Features.AMOUNT_ZSCORE, 0.5 * k)
                .setString(Features.PROFILE_REGION, "上海");
        return f;
    }

    /** One shard's journal writing into a real shard log, one frame per decision, as the shard does. */
    static final class Shard implements AutoCloseable {
        final LogWriter writer;
        final ShardLog log;
        final StateOps ops = new StateOps();
        final DecisionJournal journal;

        Shard(Path dir, int shard, long segmentBytes) throws Exception {
            long end;
            try (LogSegments.Cursor c = LogSegments.open(dir).cursor(0)) {
                while (c.next()) {
                    // find the end, as recovery does
                }
                end = c.position();
            }
            // fsync: a frame is released once it is in the synced segment, which is what the journal reads (in
            // process mode it is released from the log window, before the writer has put it in the segment)
            writer = new LogWriter(Durability.FSYNC, LogChannel.FILES, segmentBytes);
            log = writer.open(shard, LogSegments.open(dir), end);
            writer.start();
            ops.recording(true);
            journal = DecisionJournal.forShard(shard, ops);
        }

        void append(long t, DecisionRequest request, DecisionResponse response, FeatureVector features)
                throws InterruptedException {
            journal.append(t, request, response.toByteArray(), RULES, features);
            commit(t);
        }

        /** Appends what the journal has written since the last commit as one frame, and waits until durable. */
        void commit(long t) throws InterruptedException {
            long position = log.append(t, ops.buffer(), 0, ops.length());
            ops.reset();
            CountDownLatch durable = new CountDownLatch(1);
            log.whenDurable(position, ok -> durable.countDown());
            assertTrue(durable.await(10, TimeUnit.SECONDS));
        }

        @Override
        public void close() {
            writer.close();
        }
    }

    @Test
    void shouldJournalTheRequestAsItsCallerSentItAndReadItAsBefore() throws Exception {
        DecisionRequest request = request(5);
        // as another client may write it: the request id last, not first (protobuf would write it first)
        byte[] sent = concat(request.toBuilder().clearRequestId().build().toByteArray(),
                DecisionRequest.newBuilder().setRequestId(request.getRequestId()).build().toByteArray());
        byte[] response = response(5).toByteArray();
        byte[] padded = java.util.Arrays.copyOf(response, response.length + 50);
        try (Shard shard = new Shard(dir, 0, 64 * 1024)) {
            shard.journal.append(T0, sent, padded, response.length, RULES, features(5));
            byte[] frame = new byte[shard.ops.length()];
            shard.ops.buffer().getBytes(0, frame);
            assertTrue(indexOf(frame, sent) >= 0, "the bytes as sent");
            assertTrue(indexOf(frame, request.toByteArray()) < 0, "not serialised again");
            shard.commit(T0);
            shard.append(T0 + 1, request(6), response(6), features(6));
        }
        List<JournalEntry> read = readAll(dir);
        assertEquals(2, read.size());
        assertEquals(request, read.get(0).request());
        assertEquals(response(5), read.get(0).response());
        assertEquals(5000L, read.get(0).features().get("amount_minor"));
        assertEquals(request(6), read.get(1).request());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (java.util.Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void shouldReadBackEveryDecisionWithItsFeaturesAcrossSegmentRolls() throws Exception {
        try (Shard shard = new Shard(dir, 3, 64 * 1024)) {
            for (int k = 0; k < 2000; k++) {
                shard.append(T0 + k, request(k), response(k), k == 7 ? null : features(k));
            }
            assertEquals(2000, shard.journal.appended());
            assertEquals(0, shard.journal.dropped());
        }
        assertTrue(LogSegments.open(dir).list().size() > 3, "small segments rolled");
        List<JournalEntry> read = readAll(dir);
        assertEquals(2000, read.size());
        for (int k = 0; k < 2000; k++) {
            JournalEntry e = read.get(k);
            assertEquals(T0 + k, e.timeMs());
            assertEquals(3, e.shard());
            assertEquals(request(k), e.request());
            assertEquals(response(k), e.response());
            if (k == 7) {
                assertTrue(e.features().isEmpty());
            } else {
                assertEquals(1000L * k, e.features().get("amount_minor"));
                assertEquals("CN-31", e.features().get("region"));
                assertEquals("上海", e.features().get("profile.region"));
                assertEquals(k % 2 == 0, e.features().get("device.new"));
                assertEquals(0.5 * k, e.features().get("amount_zscore"));
                assertEquals(5, e.features().size());
            }
        }
    }

    @Test
    void shouldReadWhatRetentionKeptAndSaySoWhenOlderSegmentsWereDeleted() throws Exception {
        try (Shard shard = new Shard(dir, 0, 64 * 1024)) {
            for (int k = 0; k < 2000; k++) {
                shard.append(T0 + k, request(k), response(k), features(k));
            }
        }
        LogSegments segments = LogSegments.open(dir);
        long kept = segments.list().get(2);
        assertEquals(2, segments.deleteBefore(kept, Long.MAX_VALUE), "as journalRetention deletes them");

        List<JournalEntry> read = readAll(dir);
        assertTrue(read.size() > 0 && read.size() < 2000, "the decisions of the segments kept: " + read.size());
        int first = 2000 - read.size();
        for (int i = 0; i < read.size(); i++) {
            assertEquals(request(first + i), read.get(i).request(), "in order, none twice, none missing after");
        }
        try (JournalReader reader = JournalReader.open(dir)) {
            assertEquals(request(first), reader.next().request());
            assertTrue(reader.note().contains("starts at position " + kept), reader.note());
        }
    }

    @Test
    void shouldFollowALiveWriterAndContinueAfterARestart() throws Exception {
        try (JournalReader reader = JournalReader.open(dir)) {
            assertNull(reader.next());
            Shard shard = new Shard(dir, 0, 64 * 1024);
            shard.append(T0, request(1), response(1), features(1));
            assertEquals(request(1), reader.next().request());
            assertNull(reader.next());
            shard.append(T0 + 1, request(2), response(2), features(2));
            assertEquals(request(2), reader.next().request());
            shard.close();
            try (Shard again = new Shard(dir, 0, 64 * 1024)) {
                again.append(T0 + 10, request(3), response(3), features(3));
                JournalEntry third = reader.next();
                assertEquals(request(3), third.request());
                assertEquals(3000L, third.features().get("amount_minor"), "the layout is written again after a"
                        + " restart");
            }
        }
    }

    static List<JournalEntry> readAll(Path dir) {
        List<JournalEntry> out = new ArrayList<>();
        try (JournalReader reader = JournalReader.open(dir)) {
            for (JournalEntry e = reader.next(); e != null; e = reader.next()) {
                out.add(e);
            }
        }
        return out;
    }
}
