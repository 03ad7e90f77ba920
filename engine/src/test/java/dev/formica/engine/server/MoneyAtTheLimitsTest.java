package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.formica.client.FormicaClient;
import dev.formica.client.RetryPolicy;
import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.RepayRequest;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Money at the validated maxima (10^13 minor units per amount and per line), many times over: the
 * same line is reserved in full, drawn and repaid hundreds of times, which moves 10^16 through it,
 * and every balance stays exact; a line cut below what is used reports 0 available, not a wrapped
 * number. The ledger's own overflow guard (Math.addExact) is tested in CreditLedgerTest, the
 * saturating available in LedgerSnapshotTest.
 */
class MoneyAtTheLimitsTest {
    private static final long MAX = RequestValidator.MAX_AMOUNT_MINOR;
    private static final int ROUNDS = 400;

    @TempDir
    Path dataDir;

    @Test
    void shouldKeepBalancesExactWhenMaximalAmountsCycleThroughALine() throws Exception {
        try (EngineServer server = new EngineServer(LedgerOnlyRules.apply(
                new EngineConfiguration().port(0).shards(1).dataDir(dataDir)))
                .start();
                FormicaClient client = FormicaClient.builder().target("127.0.0.1:" + server.port())
                        .defaultDeadline(Duration.ofSeconds(10)).retryPolicy(RetryPolicy.none()).build()) {
            Profile.Builder profile = Profile.newBuilder().setBorrowerId("max").setAnnualIncomeMinor(MAX)
                    .setSelfLimitMinor(MAX);
            for (Product p : new Product[] {Product.CONSUMER_CREDIT, Product.CASH_LOAN, Product.BUSINESS_LOAN}) {
                profile.addLines(ProductLine.newBuilder().setProduct(p).setLineMinor(MAX));
            }
            client.upsertProfile(profile.build());
            long approvals = 0;
            for (int i = 0; i < ROUNDS; i++) {
                DecisionResponse d = client.decide(request("d" + i, MAX));
                assertEquals(Outcome.APPROVE, d.getOutcome(), d.toString());
                assertEquals(0, d.getAvailableAfterMinor());
                DecisionResponse more = client.decide(request("more" + i, 1));
                assertEquals(Outcome.DECLINE, more.getOutcome(), "nothing left above a full line");
                client.confirm(ConfirmRequest.newBuilder().setRequestId("c" + i).setHoldId(d.getHoldId()).build());
                client.repay(RepayRequest.newBuilder().setRequestId("p" + i).setBorrowerId("max")
                        .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(MAX).build());
                approvals++;
            }
            assertEquals(ROUNDS, approvals);
            CreditLine line = line(client);
            assertEquals(MAX, line.getLineMinor());
            assertEquals(0, line.getHeldMinor());
            assertEquals(0, line.getDrawnMinor());
            assertEquals(MAX, line.getAvailableMinor());

            // hold and draw the whole line, then cut the line to 0: available is 0, never a wrapped value
            DecisionResponse held = client.decide(request("last-hold", MAX));
            assertEquals(Outcome.APPROVE, held.getOutcome());
            client.upsertProfile(profile.setLines(0, ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                    .setLineMinor(0)).build());
            line = line(client);
            assertEquals(MAX, line.getHeldMinor());
            assertEquals(0, line.getAvailableMinor());
            assertEquals(Outcome.DECLINE, client.decide(request("after-cut", 1)).getOutcome());
        }
    }

    private static DecisionRequest request(String id, long amount) {
        return DecisionRequest.newBuilder().setRequestId(id).setBorrowerId("max").setProduct(Product.CONSUMER_CREDIT)
                .setAmountMinor(amount).build();
    }

    private static CreditLine line(FormicaClient client) {
        return client.getCreditLine(GetCreditLineRequest.newBuilder().setBorrowerId("max")
                .setProduct(Product.CONSUMER_CREDIT).build());
    }
}
