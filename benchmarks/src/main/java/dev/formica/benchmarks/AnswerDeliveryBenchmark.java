package dev.formica.benchmarks;

import dev.formica.engine.server.DecisionReply;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.FundingShare;
import dev.formica.v1.Grade;
import dev.formica.v1.Installment;
import dev.formica.v1.InstallmentPlan;
import dev.formica.v1.Outcome;
import dev.formica.v1.Reason;
import dev.formica.v1.ScoreContribution;
import io.grpc.Drainable;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the server does with a Decide's answer after the shard has written its wire bytes, up to the transport's
 * buffer: {@link #parseAndSerialise} is the path before the pass-through marshaller (the delivering thread parsed
 * the bytes into a {@code DecisionResponse}, gRPC's protobuf marshaller serialised it again into the frame),
 * {@link #passThrough} the path now ({@link DecisionReply#MARSHALLER} drains the bytes as they are). The answer is
 * a 12-instalment approval with reasons, funding shares and score contributions, as the default rule set writes.
 *
 * <pre>
 * ./formica bench AnswerDeliveryBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class AnswerDeliveryBenchmark {
    private static final MethodDescriptor.Marshaller<DecisionResponse> PROTO =
            ProtoUtils.marshaller(DecisionResponse.getDefaultInstance());

    private byte[] answer;
    /** The transport's buffer, as far as this measures: counts what is written. */
    private final Counting transport = new Counting();

    @Setup
    public void answer() {
        InstallmentPlan.Builder plan = InstallmentPlan.newBuilder().setInstallments(12).setTotalInterestMinor(21_345)
                .setTotalCostMinor(21_345).setTotalRepaymentMinor(351_245).setAnnualisedRateBps(1_190);
        for (int i = 1; i <= 12; i++) {
            plan.addPeriods(Installment.newBuilder().setNumber(i).setDueMs(1_780_000_000_000L + i * 2_592_000_000L)
                    .setPrincipalMinor(27_491).setInterestMinor(1_779).setTotalMinor(29_270));
        }
        answer = DecisionResponse.newBuilder().setRequestId("3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")
                .setOutcome(Outcome.APPROVE).setHoldId("h1a2b3c4d5e6f").setApprovedAmountMinor(329_900)
                .setAvailableAfterMinor(4_670_100).setScore(712).setPd(0.0213).setGrade(Grade.GRADE_B)
                .setAprBps(1_190).setPlan(plan).addReasons(Reason.newBuilder().setCode("ALL_IN_RATE_CAPPED")
                        .setText("the all-in rate is capped at the regulatory maximum").setValue("2400 bps"))
                .addFunding(FundingShare.newBuilder().setFunderId("bank-a").setAmountMinor(197_940)
                        .setShareBps(6_000))
                .addFunding(FundingShare.newBuilder().setFunderId("bank-b").setAmountMinor(131_960)
                        .setShareBps(4_000))
                .setRuleSetVersion("default-2026.12").setServerNanos(48_213).setRegulatoryVersion("cn-2026.1")
                .setHoldExpiresMs(1_780_000_900_000L)
                .addContributions(ScoreContribution.newBuilder().setAttribute("bureau.months_on_book")
                        .setBin("60+").setPoints(38))
                .addContributions(ScoreContribution.newBuilder().setAttribute("kyc.level").setBin("3").setPoints(21))
                .addContributions(ScoreContribution.newBuilder().setAttribute("housing").setBin("own").setPoints(17))
                .build().toByteArray();
    }

    @Benchmark
    public long parseAndSerialise() throws IOException {
        DecisionResponse parsed = DecisionResponse.parseFrom(answer);
        return ((Drainable) PROTO.stream(parsed)).drainTo(transport);
    }

    @Benchmark
    public long passThrough() throws IOException {
        return ((Drainable) DecisionReply.MARSHALLER.stream(DecisionReply.wire(answer))).drainTo(transport);
    }

    /** An output stream that keeps a count, not the bytes. */
    static final class Counting extends OutputStream {
        long written;

        @Override
        public void write(int b) {
            written++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            written += len;
        }
    }
}
