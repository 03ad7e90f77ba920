package dev.formica.engine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.engine.rules.Features;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.Reason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

    @Test
    void shouldReadBackEveryDecisionWithItsFeaturesAcrossSegmentRolls() throws Exception {
        JournalConfig config = JournalConfig.defaults().segmentBytes(64 * 1024);
        try (DecisionJournal journal = DecisionJournal.open(dir, 3, config, T0)) {
            for (int k = 0; k < 2000; k++) {
                journal.append(T0 + k, request(k), response(k), RULES, k == 7 ? null : features(k));
            }
            assertEquals(2000, journal.appended());
            assertEquals(0, journal.dropped());
        }
        assertTrue(JournalSegments.list(dir).size() > 3, "small segments rolled");
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
    void shouldFollowALiveWriterAndContinueAfterARestart() throws Exception {
        JournalConfig config = JournalConfig.defaults().segmentBytes(64 * 1024);
        try (JournalReader reader = JournalReader.open(dir)) {
            assertNull(reader.next());
            DecisionJournal journal = DecisionJournal.open(dir, 0, config, T0);
            journal.append(T0, request(1), response(1), RULES, features(1));
            assertEquals(request(1), reader.next().request());
            assertNull(reader.next());
            journal.append(T0 + 1, request(2), response(2), RULES, features(2));
            assertEquals(request(2), reader.next().request());
            journal.close();
            DecisionJournal again = DecisionJournal.open(dir, 0, config, T0 + 10);
            again.append(T0 + 10, request(3), response(3), RULES, features(3));
            JournalEntry third = reader.next();
            assertEquals(request(3), third.request());
            assertEquals(3000L, third.features().get("amount_minor"));
            again.close();
        }
    }

    @Test
    void shouldDeleteWholeSegmentsPastRetentionOnly() throws Exception {
        JournalConfig config = JournalConfig.defaults().retention(Duration.ofDays(7));
        long day = JournalSegments.DAY_MS;
        try (DecisionJournal journal = DecisionJournal.open(dir, 0, config, T0)) {
            for (int d = 0; d < 10; d++) {
                journal.append(T0 + d * day, request(d), response(d), RULES, features(d));
            }
        }
        // A segment per day; on day 9 the segments whose every decision is older than 7 days are gone.
        List<JournalEntry> left = readAll(dir);
        assertEquals(request(2), left.get(0).request(), "days 0 and 1 deleted; day 2 kept (its segment ends on day 3)");
        assertEquals(8, left.size());
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
