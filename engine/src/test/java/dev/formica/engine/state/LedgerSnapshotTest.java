package dev.formica.engine.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** available = line − held − drawn saturates instead of wrapping, whatever the stored values. */
class LedgerSnapshotTest {
    private static final long MAX = 10_000_000_000_000L;

    private static long available(long line, long held, long drawn) {
        return LedgerSnapshot.saturatingSubtract(LedgerSnapshot.saturatingSubtract(line, held), drawn);
    }

    @Test
    void shouldSaturateAvailableInsteadOfWrapping() {
        assertEquals(MAX - 3, available(MAX, 1, 2));
        assertEquals(-2 * MAX, available(0, MAX, MAX));
        assertEquals(Long.MIN_VALUE, available(0, Long.MAX_VALUE, Long.MAX_VALUE));
        assertEquals(Long.MIN_VALUE, available(Long.MIN_VALUE, 1, 0));
        assertEquals(Long.MAX_VALUE, available(Long.MAX_VALUE, Long.MIN_VALUE, 0));
        assertEquals(Long.MAX_VALUE, available(1, -Long.MAX_VALUE, 0));
    }
}
