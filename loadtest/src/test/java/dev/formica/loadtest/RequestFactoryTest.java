package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.v1.Channel;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Product;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RequestFactoryTest {
    private static final long SEED = 42;
    private static final double BURST = 0.05;

    /**
     * The requests as the factory built them before it kept its repeating strings as bytes: every field set as a
     * string, each built per call. The factory must still put exactly these bytes on the wire.
     */
    private static DecisionRequest reference(String runId, ZipfSampler borrowers, long index) {
        String[] mcc = {"5411", "5311", "5732", "5812", "5999", "4121", "5651", "5944"};
        String[] regions = {"CN-11", "CN-31", "CN-44", "CN-33", "CN-32", "CN-51"};
        SplittableRandom random = new SplittableRandom(mix(SEED) + index);
        DecisionRequest.Builder b = DecisionRequest.newBuilder().setRequestId(runId + "-" + index)
                .setChannel(Channel.CHANNEL_APP).setRegion(regions[random.nextInt(regions.length)]);
        Product product = RequestFactory.product(random);
        b.setProduct(product).setAmountMinor(RequestFactory.amountMinor(product, random));
        if (random.nextDouble() < BURST) {
            int borrower = random.nextInt(borrowers.size());
            b.setBorrowerId(SampleBorrowers.borrowerId(borrower)).setDeviceId("dev-burst-" + runId)
                    .setMerchantId("m-burst").setMerchantCategory("5732").setIp("10.66.6.6");
        } else {
            int borrower = borrowers.sample(random);
            b.setBorrowerId(SampleBorrowers.borrowerId(borrower)).setDeviceId("d" + borrower)
                    .setMerchantId("m" + random.nextInt(5_000)).setMerchantCategory(mcc[random.nextInt(mcc.length)])
                    .setIp("10." + (borrower >>> 16 & 0xff) + "." + (borrower >>> 8 & 0xff) + "." + (borrower & 0xff));
        }
        if (product != Product.CONSUMER_CREDIT) {
            b.setChannel(Channel.CHANNEL_API).setMerchantCategory("").setMerchantId("");
        }
        if (product == Product.CONSUMER_CREDIT && random.nextInt(100) < 30) {
            b.setInstallments(new int[] {3, 6, 12}[random.nextInt(3)]);
        }
        return b.build();
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Test
    void theWireBytesAreTheSameAsWhenEveryFieldWasSetAsAString() {
        ZipfSampler borrowers = new ZipfSampler(300_000, 1.0); // above 65,536: IPs use all three octets
        RequestFactory factory = new RequestFactory("run", SEED, borrowers, BURST, null);
        Set<Product> products = new HashSet<>();
        int bursts = 0;
        for (long i = 0; i < 50_000; i++) {
            DecisionRequest expected = reference("run", borrowers, i);
            DecisionRequest actual = factory.decision(i);
            assertArrayEquals(expected.toByteArray(), actual.toByteArray(), "request " + i);
            assertEquals(expected, actual);
            products.add(actual.getProduct());
            bursts += actual.getDeviceId().startsWith("dev-burst-") ? 1 : 0;
        }
        assertEquals(Set.of(Product.CONSUMER_CREDIT, Product.CASH_LOAN, Product.BUSINESS_LOAN), products);
        assertTrue(bursts > 1_000, "the burst share is exercised: " + bursts);
    }

    @Test
    void aRequestDependsOnlyOnItsIndexNotOnWhatWasBuiltBefore() {
        ZipfSampler borrowers = new ZipfSampler(1_000, 1.0);
        RequestFactory first = new RequestFactory("run", SEED, borrowers, BURST, null);
        RequestFactory second = new RequestFactory("run", SEED, borrowers, BURST, null);
        for (long i = 0; i < 2_000; i++) {
            first.decision(i); // fills the first factory's per-borrower bytes in index order
        }
        for (long i = 1_999; i >= 0; i--) {
            assertEquals(first.decision(i), second.decision(i));
        }
        assertEquals("run-17", first.decision(17).getRequestId());
    }
}
