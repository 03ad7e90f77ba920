package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.SnapshotFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up opens the shards' stores beside the markets ({@link LogRecovery#besideStores}): at the same time, and
 * nothing that opened is lost to the caller's clean-up whichever side fails.
 */
class StoresBesideMarketsTest {

    @TempDir
    Path dir;

    private final List<ShardState> kept = new ArrayList<>();

    @AfterEach
    void closeKept() throws IOException {
        for (ShardState s : kept) {
            s.close();
        }
    }

    private ShardState open(int shard) throws IOException {
        return ShardState.open(dir.resolve("shard-" + shard), SnapshotFixture.config(), SnapshotFixture.T0);
    }

    /** Stands in for the markets: closed or not. */
    private static final class Resource implements AutoCloseable {
        final AtomicBoolean closed = new AtomicBoolean();

        @Override
        public void close() {
            closed.set(true);
        }
    }

    @Test
    void theStoresOpenWhileTheOpeningThreadWorksAndComeBackInShardOrder() throws IOException {
        CountDownLatch bothOpened = new CountDownLatch(2);
        Thread caller = Thread.currentThread();
        Resource markets = new Resource();
        Resource got = LogRecovery.besideStores(2, k -> {
            assertNotEquals(caller, Thread.currentThread());
            ShardState s = open(k);
            bothOpened.countDown();
            return s;
        }, kept::add, () -> {
            // the caller's step waits for both stores inside it: they open beside it, not after it
            try {
                assertTrue(bothOpened.await(60, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return markets;
        });
        assertSame(markets, got);
        assertEquals(2, kept.size());
        assertTrue(Files.isDirectory(dir.resolve("shard-0")) && Files.isDirectory(dir.resolve("shard-1")));
        kept.get(0).holds().put(1L, new dev.formica.engine.state.HoldSnapshot().borrowerId("b").product(1)
                .amountMinor(5).state(dev.formica.engine.state.HoldState.ACTIVE));
        assertEquals(1, kept.get(0).holds().size()); // shard 0 first
        assertEquals(0, kept.get(1).holds().size());
        assertFalse(markets.closed.get());
    }

    @Test
    void aStoreThatFailsClosesTheMarketsAndLeavesTheOthersToTheCaller() {
        Resource markets = new Resource();
        IOException thrown = assertThrows(IOException.class, () -> LogRecovery.besideStores(3, k -> {
            if (k == 1) {
                throw new IOException("shard 1 cannot open");
            }
            return open(k);
        }, kept::add, () -> markets));
        assertEquals("shard 1 cannot open", thrown.getMessage());
        assertTrue(markets.closed.get());
        assertEquals(2, kept.size()); // shards 0 and 2, for the caller to close
    }

    @Test
    void theMarketsFailingStillHandsOverEveryStore() {
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> LogRecovery.besideStores(2,
                this::open, kept::add, () -> {
                    throw new IllegalStateException("rules do not compile");
                }));
        assertEquals("rules do not compile", thrown.getMessage());
        assertEquals(2, kept.size());
    }
}
