package dev.formica.engine.state;

import static dev.formica.engine.state.StateTestSupport.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Steady-state reads and updates must not allocate; JMH -prof gc gives the precise number. */
class AllocationTest {

    private static final int OPS = 20_000;

    @TempDir
    Path tmp;

    @Test
    void shouldNotAllocateOnLedgerHoldAndContainsCalls() throws IOException {
        com.sun.management.ThreadMXBean mx = allocationCounter();
        try (ShardState s = StateTestSupport.open(tmp.resolve("shard"))) {
            StringBuilder id = new StringBuilder("borrower-1");
            s.ledger().putLine(id, 1, 1_000_000_000L, T0);
            HoldSnapshot hold = new HoldSnapshot().borrowerId(id).product(1).amountMinor(5).state(HoldState.ACTIVE);
            s.holds().put(77L, hold);
            s.decisions().put("req-1", (byte) 1, T0, new byte[100]);
            LedgerSnapshot line = new LedgerSnapshot();
            for (int i = 0; i < OPS; i++) {
                steady(s, id, line, hold, i);
            }
            long tid = Thread.currentThread().getId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < OPS; i++) {
                steady(s, id, line, hold, i);
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            assertTrue(allocated < OPS, allocated + " bytes allocated in " + OPS + " rounds");
        }
    }

    @Test
    void shouldNotAllocateOnTheBorrowersReadAndApproval() throws IOException {
        com.sun.management.ThreadMXBean mx = allocationCounter();
        try (ShardState s = StateTestSupport.open(tmp.resolve("shard"))) {
            StringBuilder id = new StringBuilder("borrower-1");
            s.ledger().putLine(id, 2, 1_000_000_000L, T0);
            BorrowerBook.Reading reading = new BorrowerBook.Reading();
            BorrowerActivity.Reading activity = new BorrowerActivity.Reading();
            long tid = Thread.currentThread().getId();
            long before = 0;
            for (int i = 0; i < 2 * OPS; i++) {
                if (i == OPS) {
                    before = mx.getThreadAllocatedBytes(tid);
                }
                s.borrowers().read(id, reading);
                s.borrowers().approve(id, 2, 1, 40 + i % 7, T0 + i);
                s.activity().read(id, activity);
                s.ledger().applyIfPresent(id, 2, -1, 0, T0 + i);
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            assertTrue(allocated < OPS, allocated + " bytes allocated in " + OPS + " rounds");
            assertTrue(s.borrowers().read(id, reading).hasLine(2));
            assertEquals(2L * OPS, reading.activity().count(), "every approval counted");
        }
    }

    /** The JVM's per-thread allocation counter; the test is skipped where there is none. */
    private static com.sun.management.ThreadMXBean allocationCounter() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
        return mx;
    }

    private static void steady(ShardState s, StringBuilder id, LedgerSnapshot line, HoldSnapshot hold, int i) {
        s.ledger().get(id, 1, line);
        s.ledger().apply(id, 1, 1, 0, T0 + i);
        s.holds().get(77L, hold);
        s.holds().setState(77L, HoldState.ACTIVE);
        s.decisions().contains("req-1");
        s.profiles().contains(id);
    }
}
