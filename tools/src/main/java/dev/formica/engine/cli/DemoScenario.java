package dev.formica.engine.cli;

import com.google.protobuf.ByteString;
import dev.formica.client.FormicaClient;
import dev.formica.loadtest.SampleBorrowers;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.LoadSummary;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What {@code formica demo} does against a running server, through the client SDK: load sample
 * borrowers, drive a burst of decisions (with some retries and unknown borrowers), confirm or cancel
 * the approvals, and report outcomes, declines by reason and latency. With {@link #idBorrowers} above 0 the server
 * serves the CN and ID markets (DemoCommand's {@code markets}): a tenth of the borrowers are also loaded in the ID
 * market (IDR, their amounts converted as the ID rule set converts its thresholds: 2000 sen per fen) and a burst of
 * ID decisions in IDR follows the CN one, each market's outcomes printed on their own.
 *
 * <p>Thread contract: {@link #run} is called by one thread; responses are counted from gRPC threads
 * with thread-safe counters.
 */
final class DemoScenario {
    private final String target;
    private final PrintStream out;
    private final int borrowers;
    private final int decisions;
    private final int inFlight;
    private final SplittableRandom random = new SplittableRandom(11);

    private final Recorder clientLatency = new Recorder(3);
    private final Recorder serverLatency = new Recorder(3);
    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> declineReasons = new ConcurrentHashMap<>();
    private final LongAdder replayed = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final List<String> holds = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Sample borrowers also loaded in the ID market; 0 = a one-market server. */
    private final int idBorrowers;
    /** Sen per fen: the ID rule set's conversion of the CN amounts (about the 2026 rate; an example's assumption). */
    static final long SEN_PER_FEN = 2000;

    DemoScenario(String target, PrintStream out, int borrowers, int decisions, int inFlight) {
        this(target, out, borrowers, decisions, inFlight, 0);
    }

    DemoScenario(String target, PrintStream out, int borrowers, int decisions, int inFlight, int idBorrowers) {
        this.target = target;
        this.out = out;
        this.borrowers = borrowers;
        this.decisions = decisions;
        this.inFlight = inFlight;
        this.idBorrowers = idBorrowers;
    }

    void run() throws InterruptedException {
        try (FormicaClient client = FormicaClient.builder().target(target).defaultDeadline(Duration.ofSeconds(5))
                .build()) {
            long t = System.nanoTime();
            ByteString echoed = client.echo(ByteString.copyFromUtf8("hello formica"));
            out.printf("echo      \"%s\" in %d us%n", echoed.toStringUtf8(), (System.nanoTime() - t) / 1000);

            t = System.nanoTime();
            LoadSummary loaded = client.loadProfiles(new SampleBorrowers(borrowers, 7));
            out.printf("profiles  %,d loaded (%,d rejected) in %d ms through ProfileService.Load%n",
                    loaded.getLoaded(), loaded.getRejected(), (System.nanoTime() - t) / 1_000_000);

            if (idBorrowers == 0) {
                decideBurst(client, "", this::nextRequest, decisions);
            } else {
                decideBurst(client, "CN (CNY, shipped rule set)", this::nextRequest, decisions);
                t = System.nanoTime();
                LoadSummary id = client.loadProfiles(new IdBorrowers(new SampleBorrowers(idBorrowers, 13)));
                out.printf("profiles  %,d loaded in market ID (%,d rejected) in %d ms%n", id.getLoaded(),
                        id.getRejected(), (System.nanoTime() - t) / 1_000_000);
                decideBurst(client, "ID (IDR, rules/id-default.yaml)", this::nextIdRequest,
                        Math.max(1, decisions / 10));
            }
            settle(client);

            CreditLine line = client.getCreditLine(GetCreditLineRequest.newBuilder()
                    .setBorrowerId(SampleBorrowers.borrowerId(0)).setProduct(Product.CONSUMER_CREDIT).build());
            out.printf("line      borrower #0 CONSUMER_CREDIT: line %s, held %s, drawn %s, available %s %s%n",
                    yuan(line.getLineMinor()), yuan(line.getHeldMinor()), yuan(line.getDrawnMinor()),
                    yuan(line.getAvailableMinor()), line.getCurrency());
            if (idBorrowers > 0) {
                CreditLine id = client.getCreditLine(GetCreditLineRequest.newBuilder()
                        .setBorrowerId(IdBorrowers.ID_PREFIX + 0).setProduct(Product.CONSUMER_CREDIT).build());
                out.printf("line      borrower id-0 CONSUMER_CREDIT in market %s: line %s, held %s, drawn %s,"
                        + " available %s %s%n", id.getMarket(), yuan(id.getLineMinor()), yuan(id.getHeldMinor()),
                        yuan(id.getDrawnMinor()), yuan(id.getAvailableMinor()), id.getCurrency());
            }
        }
    }

    private void decideBurst(FormicaClient client, String market, java.util.function.IntFunction<DecisionRequest> next,
            int count) throws InterruptedException {
        outcomes.clear();
        declineReasons.clear();
        replayed.reset();
        errors.reset();
        if (!market.isEmpty()) {
            out.printf("market    %s%n", market);
        }
        Semaphore window = new Semaphore(inFlight);
        List<DecisionRequest> sent = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            DecisionRequest request;
            if (i > 100 && random.nextInt(100) < 3) {
                request = sent.get(random.nextInt(sent.size()));  // a retry: same request_id
            } else {
                request = next.apply(i);
                sent.add(request);
            }
            window.acquire();
            long callStart = System.nanoTime();
            client.decideAsync(request).whenComplete((r, e) -> {
                clientLatency.recordValue(System.nanoTime() - callStart);
                window.release();
                if (e != null) {
                    errors.increment();
                    return;
                }
                count(r);
            });
        }
        window.acquire(inFlight);
        window.release(inFlight);
        long elapsed = System.nanoTime() - start;
        out.printf("decide    %,d decisions in %d ms (%,.0f/s, %d in flight)%n", count, elapsed / 1_000_000,
                count * 1e9 / elapsed, inFlight);
        out.printf("outcomes  %s; replayed %,d; errors %,d%n", new TreeMap<>(toLongs(outcomes)), replayed.sum(),
                errors.sum());
        out.printf("declines  %s%n", new TreeMap<>(toLongs(declineReasons)));
        printLatency("client", clientLatency.getIntervalHistogram());
        printLatency("server", serverLatency.getIntervalHistogram());
    }

    private void count(DecisionResponse r) {
        if (r.getReplayed()) {
            replayed.increment();
            return;
        }
        serverLatency.recordValue(Math.max(1, r.getServerNanos()));
        outcomes.computeIfAbsent(r.getOutcome().name(), k -> new LongAdder()).increment();
        if (r.getOutcome() == Outcome.DECLINE && r.getReasonsCount() > 0) {
            declineReasons.computeIfAbsent(r.getReasons(0).getCode(), k -> new LongAdder()).increment();
        }
        if (r.getOutcome() == Outcome.APPROVE) {
            holds.add(r.getHoldId());
        }
    }

    private DecisionRequest nextRequest(int i) {
        boolean unknown = random.nextInt(100) < 2;
        // skewed popularity: a few borrowers shop a lot
        long index = (long) (borrowers * Math.pow(random.nextDouble(), 2.5));
        boolean cash = random.nextInt(100) < 10;
        long amount = cash ? 500_00L + random.nextLong(20_000_00L)
                : Math.max(1_00L, (long) (200_00L * Math.exp(1.1 * SampleBorrowers.gaussian(random))));
        return DecisionRequest.newBuilder()
                .setRequestId("demo-" + i)
                .setBorrowerId(unknown ? "unknown-" + i : SampleBorrowers.borrowerId(index))
                .setProduct(cash ? Product.CASH_LOAN : Product.CONSUMER_CREDIT)
                .setAmountMinor(amount)
                .setCurrency("CNY")
                .setMerchantId("m" + random.nextInt(5000))
                .setMerchantCategory("5411")
                // personal data the engine must never log (NoPersonalDataInLogsTest looks for these)
                .setDeviceId("demo-device-" + index)
                .setIp("10.77." + (index >>> 8 & 0xff) + "." + (index & 0xff))
                .setEventTimeMs(System.currentTimeMillis())
                .setInstallments(cash ? 12 : 0)
                .build();
    }

    /** A decision in the ID market: a CN sample request's shape, the borrower's ID twin, the amount in IDR. */
    private DecisionRequest nextIdRequest(int i) {
        DecisionRequest cn = nextRequest(i);
        String borrower = cn.getBorrowerId().startsWith("unknown-") ? cn.getBorrowerId()
                : IdBorrowers.ID_PREFIX + (Math.abs(cn.getBorrowerId().hashCode()) % idBorrowers);
        return cn.toBuilder().setRequestId("demo-id-" + i).setBorrowerId(borrower).setMarket("ID").setCurrency("IDR")
                .setAmountMinor(cn.getAmountMinor() * SEN_PER_FEN).setRegion("ID-JK")
                // devices and IPs of their own: the velocity table is shared by the markets
                .setDeviceId(cn.getDeviceId().replace("demo-device-", "demo-device-id-"))
                .setIp(cn.getIp().replace("10.77.", "10.78.")).build();
    }

    /** Sample borrowers made ID borrowers: ids {@code id-N}, market ID, region ID-JK, income and lines in IDR. */
    static final class IdBorrowers implements java.util.Iterator<dev.formica.v1.Profile> {
        static final String ID_PREFIX = "id-";
        private final SampleBorrowers cn;
        private long next;

        IdBorrowers(SampleBorrowers cn) {
            this.cn = cn;
        }

        @Override
        public boolean hasNext() {
            return cn.hasNext();
        }

        @Override
        public dev.formica.v1.Profile next() {
            dev.formica.v1.Profile p = cn.next();
            dev.formica.v1.Profile.Builder b = p.toBuilder().setBorrowerId(ID_PREFIX + next++).setMarket("ID")
                    .setRegion("ID-JK").setAnnualIncomeMinor(p.getAnnualIncomeMinor() * SEN_PER_FEN)
                    .setSelfLimitMinor(p.getSelfLimitMinor() * SEN_PER_FEN).clearLines();
            p.getLinesList().forEach(l -> b.addLines(l.toBuilder().setLineMinor(l.getLineMinor() * SEN_PER_FEN)));
            return b.build();
        }
    }

    private void settle(FormicaClient client) {
        List<CompletableFuture<?>> calls = new ArrayList<>();
        LongAdder confirmed = new LongAdder();
        LongAdder cancelled = new LongAdder();
        long start = System.nanoTime();
        List<String> snapshot;
        synchronized (holds) {
            snapshot = new ArrayList<>(holds);
        }
        Semaphore window = new Semaphore(inFlight);
        for (int i = 0; i < snapshot.size(); i++) {
            String holdId = snapshot.get(i);
            window.acquireUninterruptibly();
            CompletableFuture<?> call = random.nextInt(100) < 70
                    ? client.confirmAsync(ConfirmRequest.newBuilder().setRequestId("confirm-" + i).setHoldId(holdId)
                            .build()).thenRun(confirmed::increment)
                    : client.cancelAsync(CancelRequest.newBuilder().setRequestId("cancel-" + i).setHoldId(holdId)
                            .build()).thenRun(cancelled::increment);
            calls.add(call.whenComplete((r, e) -> window.release()));
        }
        CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0])).exceptionally(e -> null).join();
        out.printf("settle    %,d confirmed (now drawn), %,d cancelled (line released) in %d ms%n", confirmed.sum(),
                cancelled.sum(), (System.nanoTime() - start) / 1_000_000);
    }

    private void printLatency(String side, Histogram h) {
        out.printf("latency   %s-side Decide: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s (%,d samples)%n", side,
                micros(h.getValueAtPercentile(50)), micros(h.getValueAtPercentile(90)),
                micros(h.getValueAtPercentile(99)), micros(h.getValueAtPercentile(99.9)), micros(h.getMaxValue()),
                h.getTotalCount());
    }

    private static String micros(long nanos) {
        return nanos >= 10_000_000 ? (nanos / 1_000_000) + " ms" : String.format("%.0f us", nanos / 1000.0);
    }

    private static String yuan(long minor) {
        return String.format("%,d.%02d", minor / 100, minor % 100);
    }

    private static Map<String, Long> toLongs(Map<String, LongAdder> counters) {
        Map<String, Long> m = new TreeMap<>();
        counters.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
