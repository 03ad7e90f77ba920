package dev.formica.engine.pipeline;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.funding.FundingQuotas;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.FundingShare;
import dev.formica.v1.Outcome;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * The replicated partner-quota tests' shared driver (ReplicatedQuotaTransferTest, ReplicatedDailyQuotaTransferTest):
 * Decides one at a time on borrowers of group 0, counting the partner's approved parts against a limit, and the check
 * that every running node shows the same leases of the partner per group.
 */
final class PartnerQuotaDriver {
    /** One group's lease of the partner and its use, as a node's {@link FundingQuotas} shows them. */
    interface LeaseView {
        long lease(FundingQuotas quotas, int slot, int group);

        long used(FundingQuotas quotas, int slot, int group);
    }

    private final FormicaClient client;
    private final List<String> borrowers;
    private final String requestPrefix;
    private final String bank;
    private final long part;
    private final long limit;
    private final Runnable guard;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger approvals = new AtomicInteger();
    private final AtomicLong approvedPart = new AtomicLong();

    /**
     * @param guard run after each answer, before it is counted (e.g. an assumption that the day has not changed)
     */
    PartnerQuotaDriver(FormicaClient client, List<String> borrowers, String requestPrefix, String bank, long part,
            long limit, Runnable guard) {
        this.client = client;
        this.borrowers = borrowers;
        this.requestPrefix = requestPrefix;
        this.bank = bank;
        this.part = part;
        this.limit = limit;
        this.guard = guard;
    }

    /**
     * One Decide, each with a new request id (a borrower's line holds many loans): an answer lost to a failover is
     * asked again with the same request id, and counted once. An approval carries exactly the partner's part, a
     * decline is {@code FUNDING_UNAVAILABLE}, and the approved parts stay within the limit.
     */
    void decideNext() {
        int i = next.get();
        assertTrue(i < 2_000, "a bounded number of Decides");
        String borrower = borrowers.get(i % borrowers.size());
        DecisionResponse r;
        try {
            r = client.decide(ReplicatedNodes.decide(borrower, requestPrefix + i));
        } catch (StatusRuntimeException failover) {
            return;
        }
        guard.run();
        next.incrementAndGet();
        if (r.getOutcome() == Outcome.APPROVE) {
            long p = r.getFundingList().stream().filter(s -> s.getFunderId().equals(bank))
                    .mapToLong(FundingShare::getAmountMinor).sum();
            assertEquals(part, p, borrower + ": " + r);
            approvals.incrementAndGet();
            approvedPart.addAndGet(p);
        } else {
            assertEquals("FUNDING_UNAVAILABLE", r.getReasons(0).getCode(), borrower + ": " + r);
        }
        assertTrue(approvedPart.get() <= limit, "approved partner parts " + approvedPart + " within " + limit);
    }

    /** Decides until {@code count} approvals in all, within a minute. */
    void decideUntilApprovals(String what, int count) {
        await(what).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            decideNext();
            return approvals.get() >= count;
        });
    }

    long approvedPart() {
        return approvedPart.get();
    }

    /**
     * Waits until the running {@code nodes} show the same leases of the partner (three groups) and the same use, each
     * group's use within its lease, the leases within the limit, and group 0's use the parts approved so far; returns
     * the first node's leases (0-2) and uses (3-5). {@code guard} runs at every look.
     */
    long[] awaitLeasesAgree(IntFunction<FundingQuotas> quotasOfNode, int[] nodes, LeaseView view, Duration atMost) {
        long approved = approvedPart.get();
        long[][] seen = new long[1][];
        await("the nodes' leases agree").atMost(atMost).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            guard.run();
            long[] first = null;
            for (int node : nodes) {
                FundingQuotas q = quotasOfNode.apply(node);
                int slot = q.indexOf(bank);
                long[] leases = new long[6];
                long sum = 0;
                for (int g = 0; g < 3; g++) {
                    leases[g] = view.lease(q, slot, g);
                    leases[3 + g] = view.used(q, slot, g);
                    sum += leases[g];
                    assertTrue(leases[3 + g] <= leases[g], "node " + node + ", group " + g);
                }
                assertTrue(sum <= limit, "node " + node + ": the leases add up to " + sum);
                assertEquals(approved, leases[3], "node " + node + ": group 0's use");
                if (first == null) {
                    first = leases;
                } else {
                    assertEquals(Arrays.toString(first), Arrays.toString(leases),
                            "node " + node + " against node " + nodes[0]);
                }
            }
            seen[0] = first;
        });
        return seen[0];
    }
}
