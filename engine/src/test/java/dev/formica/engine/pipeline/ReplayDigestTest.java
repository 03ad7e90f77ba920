package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.funding.FundingQuotas;
import dev.formica.engine.state.StateDigest;
import dev.formica.engine.state.VelocityReading;
import dev.formica.engine.state.VelocityWindows;
import dev.formica.v1.AttributeValue;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log is the whole truth: after a live run of every kind of mutation under the shipped rule set (decisions
 * with velocity and history, confirms, cancels, expiries, repayments, applications, risk events, profile
 * updates), the state rebuilt from the log alone equals the state the run left, field by field, including the
 * engine-wide velocity windows and funding quotas; from the newest snapshot, from an older one, past a damaged
 * one, and from the log alone.
 */
class ReplayDigestTest {
    @TempDir
    Path dir;

    static AttributeValue i(long v) {
        return AttributeValue.newBuilder().setIntValue(v).build();
    }

    static Profile borrower(String id, long line) {
        return Profile.newBuilder().setBorrowerId(id).setRegion("CN-31").setAnnualIncomeMinor(30_000_000)
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(line))
                .putAttributes("bureau.active_lenders", i(0)).putAttributes("bureau.months_on_book", i(80))
                .putAttributes("bureau.overdue_24m", i(0)).putAttributes("bureau.max_dpd_12m", i(0))
                .putAttributes("employment.months", i(60))
                .putAttributes("housing", AttributeValue.newBuilder().setStringValue("own").build())
                .putAttributes("age", i(35)).putAttributes("kyc.level", i(3)).build();
    }

    @Test
    void shouldRebuildExactlyTheLiveStateFromEverySnapshotAndFromTheLog() throws Exception {
        PipelineFixture f = new PipelineFixture(dir, EngineConfiguration.ShardMode.DEDICATED, false);
        SplittableRandom random = new SplittableRandom(7);
        List<String> borrowers = new ArrayList<>();
        int approvals = 0;
        try {
            for (int b = 0; b < 30; b++) {
                borrowers.add("rb" + b);
                FutureSink<Boolean> s = new FutureSink<>();
                f.pipeline.upsert(borrower("rb" + b, 2_000_000), s, null);
                s.get();
            }
            f.pipeline.snapshotNow(); // snapshot 1: profiles only
            List<String[]> holds = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                if (i == 200) {
                    f.pipeline.snapshotNow(); // snapshot 2: in the middle of the decisions
                }
                f.clock.update(f.clock.time() + random.nextInt(3_000));
                String borrower = borrowers.get(random.nextInt(borrowers.size()));
                DecisionRequest r = DecisionRequest.newBuilder().setRequestId("d" + i).setBorrowerId(borrower)
                        .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(1_000 + random.nextInt(60_000))
                        .setRegion("CN-31").setDeviceId("dev" + random.nextInt(40))
                        .setIp("10.0.0." + random.nextInt(20)).setMerchantId("m" + random.nextInt(8)).build();
                FutureSink<DecisionResponse> d = new FutureSink<>();
                f.pipeline.decide(r, d, System.nanoTime(), null);
                DecisionResponse answer = d.get();
                if (answer.getOutcome() == Outcome.APPROVE) {
                    approvals++;
                    holds.add(new String[] {answer.getHoldId(), borrower, Long.toString(r.getAmountMinor())});
                }
            }
            for (int k = 0; k < holds.size(); k++) {
                String[] h = holds.get(k);
                int action = k % 4;
                if (action == 0) {
                    f.confirm("c" + k, h[0]).get();
                    if (k % 8 == 0) {
                        f.repay("p" + k, h[1], Long.parseLong(h[2]) / 2).get();
                    }
                } else if (action == 1) {
                    f.cancel("x" + k, h[0]).get();
                }
                // the rest stay active and expire below
            }
            FutureSink<dev.formica.v1.CreditOffer> offer = new FutureSink<>();
            f.pipeline.apply(CreditApplication.newBuilder().setRequestId("a1").setBorrowerId("newcomer")
                    .setProduct(Product.CONSUMER_CREDIT).setAnnualIncomeMinor(40_000_000).setRegion("CN-31")
                    .putAllAttributes(borrower("x", 0).getAttributesMap()).build(), offer, null);
            offer.get();
            for (String type : new String[] {"cut", "freeze", "restore"}) {
                RiskEvent.Builder e = RiskEvent.newBuilder().setRequestId("e-" + type).setBorrowerId("rb1");
                switch (type) {
                    case "cut" -> e.setType(RiskEventType.RISK_EVENT_TYPE_OVERDUE).setDaysPastDue(10)
                            .setAmountMinor(50_000);
                    case "freeze" -> e.setType(RiskEventType.RISK_EVENT_TYPE_OVERDUE).setDaysPastDue(45);
                    default -> e.setType(RiskEventType.RISK_EVENT_TYPE_REPAID).setAmountMinor(50_000);
                }
                FutureSink<dev.formica.v1.RiskEventResponse> s = new FutureSink<>();
                f.pipeline.riskEvent(e.build(), s, null);
                s.get();
            }
            FutureSink<Boolean> updated = new FutureSink<>();
            f.pipeline.upsert(borrower("rb2", 3_000_000), updated, null);
            updated.get();
            // past the hold TTL: the shards' duty cycles expire the holds still active
            f.clock.update(f.clock.time() + Duration.ofMinutes(16).toMillis());
            sync(f.pipeline);
            sync(f.pipeline);
            assertTrue(approvals > 50, "enough approvals to mean something: " + approvals);
            long active = 0;
            for (int k = 0; k < f.pipeline.shards(); k++) {
                active += f.pipeline.activeHolds(k);
            }
            assertEquals(0, active, "every unconfirmed hold expired");

            f.pipeline.snapshotNow(); // snapshot 3: at the end (the builder keeps the two newest)
            String[] before = digests(f.pipeline);
            String quotasBefore = java.util.Arrays.toString(quotas(f.pipeline));
            String velocityBefore = velocity(f.pipeline, f.clock.time());
            // from the newest snapshot, then from the older one, then from the log alone
            for (String from : new String[] {"newest snapshot", "older snapshot", "a damaged newest snapshot",
                    "the whole log"}) {
                f.pipeline.close();
                for (int k = 0; k < 2; k++) {
                    List<SnapshotBuilder.Valid> snaps =
                            SnapshotBuilder.validSnapshots(SnapshotBuilder.directory(dir, k), k);
                    if (from.equals("older snapshot")) {
                        assertEquals(2, snaps.size(), "two snapshots kept");
                        java.nio.file.Files.delete(snaps.get(0).file());
                    } else if (from.equals("a damaged newest snapshot")) {
                        // the older one was deleted in the previous round; damage the one left
                        assertEquals(1, snaps.size());
                        byte[] bytes = java.nio.file.Files.readAllBytes(snaps.get(0).file());
                        bytes[bytes.length / 2] ^= 0x5a;
                        java.nio.file.Files.write(snaps.get(0).file(), bytes);
                    } else if (from.equals("the whole log")) {
                        assertEquals(0, snaps.size(), "the damaged snapshot is not valid");
                    }
                }
                f.open();
                assertEquals(List.of(before), List.of(digests(f.pipeline)), "state rebuilt from " + from);
                assertEquals(quotasBefore, java.util.Arrays.toString(quotas(f.pipeline)),
                        "funding quotas rebuilt from " + from);
                assertEquals(velocityBefore, velocity(f.pipeline, f.clock.time()), "velocity rebuilt from " + from);
            }
        } finally {
            f.close();
        }
    }

    /** Waits until every shard has run a command and a duty cycle after this call. */
    static void sync(DecisionPipeline pipeline) {
        for (int k = 0; k < pipeline.shards(); k++) {
            FutureSink<Boolean> s = new FutureSink<>();
            pipeline.runOnShard(k, () -> { }, s);
            s.get();
        }
    }

    static String[] digests(DecisionPipeline pipeline) {
        String[] out = new String[pipeline.shards()];
        for (int k = 0; k < pipeline.shards(); k++) {
            int shard = k;
            FutureSink<Boolean> s = new FutureSink<>();
            pipeline.runOnShard(k, () -> out[shard] = StateDigest.of(pipeline.state(shard)), s);
            s.get();
        }
        return out;
    }

    static long[] quotas(DecisionPipeline pipeline) {
        FundingQuotas q = pipeline.risk().quotas();
        long[] used = new long[FundingQuotas.CAPACITY];
        for (int slot = 0; slot < used.length; slot++) {
            used[slot] = q.usedTotal(slot) * 31 + q.usedToday(slot, 0);
        }
        return used;
    }

    static String velocity(DecisionPipeline pipeline, long nowMs) {
        StringBuilder sb = new StringBuilder();
        VelocityReading reading = new VelocityReading();
        VelocityWindows v = pipeline.velocity();
        for (int k = 0; k < 40; k++) {
            v.read(VelocityWindows.Dimension.DEVICE, "dev" + k, nowMs, reading);
            sb.append(reading.countDay()).append('/').append(reading.sumDay()).append(' ');
        }
        for (int k = 0; k < 30; k++) {
            v.read(VelocityWindows.Dimension.BORROWER, "rb" + k, nowMs, reading);
            sb.append(reading.countHour()).append('/').append(reading.sumHour()).append(' ');
        }
        return sb.toString();
    }
}
