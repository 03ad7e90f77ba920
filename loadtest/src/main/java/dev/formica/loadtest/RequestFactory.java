package dev.formica.loadtest;

import com.google.protobuf.ByteString;
import dev.formica.v1.Channel;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Product;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds the DecisionRequest of each index of a run: borrowers by Zipf popularity (or from a trace),
 * a product mix of 80 % consumer credit, 15 % cash loans, 5 % business loans, amounts per product
 * in fen, devices and merchants, and an optional fraud burst (one device across many borrowers).
 *
 * <p>Immutable and thread-safe: request {@code i} depends only on the seed and {@code i}, never on
 * which thread builds it or in what order. Request ids are {@code runId + "-" + i}, so reruns never
 * replay an earlier run's answers.
 *
 * <p>The load tool's CPU is taken from the server it measures, so the strings that repeat (a borrower's id, device
 * and IP, merchants, categories, regions) are rendered once, all but the id as UTF-8 bytes that serialise by
 * copying, and set as bytes: the message, and so the wire, is the same as when set as strings (a test holds it to
 * that). A borrower's strings are made on its first request and kept; a race between two senders makes equal
 * copies, either of which may stay.
 */
public final class RequestFactory {
    /** Median consumer-credit purchase: 200 CNY, in fen. */
    static final long CONSUMER_MEDIAN_MINOR = 200_00L;
    static final long CONSUMER_MIN_MINOR = 1_00L;
    static final long CONSUMER_MAX_MINOR = 50_000_00L;
    static final long CASH_MIN_MINOR = 500_00L;
    static final long CASH_MAX_MINOR = 20_000_00L;
    static final long BUSINESS_MIN_MINOR = 10_000_00L;
    static final long BUSINESS_MAX_MINOR = 300_000_00L;
    private static final ByteString[] MCC = utf8("5411", "5311", "5732", "5812", "5999", "4121", "5651", "5944");
    private static final ByteString[] REGIONS = utf8("CN-11", "CN-31", "CN-44", "CN-33", "CN-32", "CN-51");
    private static final int MERCHANTS = 5_000;
    private static final int[] INSTALLMENTS = {3, 6, 12};
    private static final ByteString BURST_MERCHANT = ByteString.copyFromUtf8("m-burst");
    private static final ByteString BURST_MCC = ByteString.copyFromUtf8("5732");
    private static final ByteString BURST_IP = ByteString.copyFromUtf8("10.66.6.6");

    private final String runId;
    private final long seed;
    private final ZipfSampler borrowers;
    private final double fraudBurstShare;
    private final List<TraceRecord> trace;
    private final ByteString burstDevice;
    private final ByteString[] merchants = new ByteString[MERCHANTS];
    /** Per borrower, made on first use: its id, device and IP. */
    private final BorrowerBytes[] borrowerBytes;

    /**
     * @param runId prefix of every request id, unique per run
     * @param seed makes the sequence repeatable
     * @param borrowers popularity over borrowers b0..bN-1 (ignored when replaying a trace)
     * @param fraudBurstShare share of requests, 0..1, from one device across many borrowers
     * @param trace transactions to replay by index, or null to generate them
     */
    public RequestFactory(String runId, long seed, ZipfSampler borrowers, double fraudBurstShare,
            List<TraceRecord> trace) {
        this.runId = runId;
        this.seed = seed;
        this.borrowers = borrowers;
        this.fraudBurstShare = fraudBurstShare;
        this.trace = trace;
        this.burstDevice = ByteString.copyFromUtf8("dev-burst-" + runId);
        for (int m = 0; m < MERCHANTS; m++) {
            merchants[m] = ByteString.copyFromUtf8("m" + m);
        }
        this.borrowerBytes = new BorrowerBytes[trace == null && borrowers != null ? borrowers.size() : 0];
    }

    /** The request id of index {@code index}. */
    public String requestId(long index) {
        return runId + "-" + index;
    }

    /** The decision request of index {@code index}. */
    public DecisionRequest decision(long index) {
        SplittableRandom random = randomFor(index);
        DecisionRequest.Builder b = DecisionRequest.newBuilder().setRequestId(requestId(index))
                .setChannel(Channel.CHANNEL_APP).setRegionBytes(REGIONS[random.nextInt(REGIONS.length)]);
        if (trace != null) {
            TraceRecord r = trace.get((int) index);
            b.setBorrowerId(r.borrowerId()).setProduct(r.product()).setAmountMinor(r.amountMinor())
                    .setDeviceId(r.deviceId()).setMerchantId(r.merchantId());
            return b.build();
        }
        Product product = product(random);
        b.setProduct(product).setAmountMinor(amountMinor(product, random));
        if (random.nextDouble() < fraudBurstShare) {
            // the burst: one device fingerprint, many borrowers picked evenly, one merchant
            int borrower = random.nextInt(borrowers.size());
            b.setBorrowerId(borrower(borrower).id).setDeviceIdBytes(burstDevice)
                    .setMerchantIdBytes(BURST_MERCHANT).setMerchantCategoryBytes(BURST_MCC).setIpBytes(BURST_IP);
        } else {
            BorrowerBytes borrower = borrower(borrowers.sample(random));
            b.setBorrowerId(borrower.id).setDeviceIdBytes(borrower.device)
                    .setMerchantIdBytes(merchants[random.nextInt(MERCHANTS)])
                    .setMerchantCategoryBytes(MCC[random.nextInt(MCC.length)]).setIpBytes(borrower.ip);
        }
        if (product != Product.CONSUMER_CREDIT) {
            b.setChannel(Channel.CHANNEL_API).setMerchantCategoryBytes(ByteString.EMPTY)
                    .setMerchantIdBytes(ByteString.EMPTY);
        }
        if (product == Product.CONSUMER_CREDIT && random.nextInt(100) < 30) {
            b.setInstallments(INSTALLMENTS[random.nextInt(INSTALLMENTS.length)]);
        }
        return b.build();
    }

    /** A deterministic draw in [0, 1) for {@code index} and {@code salt}, independent of {@link #decision}. */
    public double uniform(long index, long salt) {
        return new SplittableRandom(mix(seed ^ salt * 0x632BE59BD9B4E019L) + index).nextDouble();
    }

    static Product product(SplittableRandom random) {
        int p = random.nextInt(100);
        return p < 80 ? Product.CONSUMER_CREDIT : p < 95 ? Product.CASH_LOAN : Product.BUSINESS_LOAN;
    }

    /** An amount in fen for {@code product}; sampled in double, returned as whole minor units. */
    static long amountMinor(Product product, SplittableRandom random) {
        switch (product) {
            case CASH_LOAN:
                // log-uniform 500..20,000 CNY, in whole 100 CNY
                return roundTo(logUniform(CASH_MIN_MINOR, CASH_MAX_MINOR, random), 100_00L, CASH_MIN_MINOR,
                        CASH_MAX_MINOR);
            case BUSINESS_LOAN:
                return roundTo(logUniform(BUSINESS_MIN_MINOR, BUSINESS_MAX_MINOR, random), 1_000_00L,
                        BUSINESS_MIN_MINOR, BUSINESS_MAX_MINOR);
            default:
                double u = 1.0 - random.nextDouble();
                double z = Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
                long minor = (long) (CONSUMER_MEDIAN_MINOR * Math.exp(0.9 * z));
                return Math.max(CONSUMER_MIN_MINOR, Math.min(CONSUMER_MAX_MINOR, minor));
        }
    }

    private static double logUniform(long min, long max, SplittableRandom random) {
        return Math.exp(Math.log(min) + random.nextDouble() * (Math.log(max) - Math.log(min)));
    }

    private static long roundTo(double minor, long unit, long min, long max) {
        long v = Math.round(minor / unit) * unit;
        return Math.max(min, Math.min(max, v));
    }

    private BorrowerBytes borrower(int borrower) {
        BorrowerBytes bytes = borrowerBytes[borrower];
        if (bytes == null) {
            bytes = new BorrowerBytes(borrower);
            borrowerBytes[borrower] = bytes; // immutable, final fields: safe to publish by a race
        }
        return bytes;
    }

    private static ByteString[] utf8(String... values) {
        ByteString[] bytes = new ByteString[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = ByteString.copyFromUtf8(values[i]);
        }
        return bytes;
    }

    /**
     * A generated borrower's id, device and IP: the same strings as the sample profiles use. The id stays a String
     * (one instance per borrower, its hash kept): the load tool routes each Decide by it, and reading a field set as
     * bytes back as a String would decode it on every call.
     */
    private static final class BorrowerBytes {
        final String id;
        final ByteString device;
        final ByteString ip;

        BorrowerBytes(int borrower) {
            this.id = SampleBorrowers.borrowerId(borrower);
            this.device = ByteString.copyFromUtf8("d" + borrower);
            this.ip = ByteString.copyFromUtf8("10." + (borrower >>> 16 & 0xff) + "." + (borrower >>> 8 & 0xff) + "."
                    + (borrower & 0xff));
        }
    }

    private SplittableRandom randomFor(long index) {
        return new SplittableRandom(mix(seed) + index);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
