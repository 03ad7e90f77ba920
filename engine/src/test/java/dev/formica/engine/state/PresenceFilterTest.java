package dev.formica.engine.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PresenceFilterTest {

    @Test
    void shouldNeverMissAnAddedKeyAndRejectMostOthersAtItsSize() {
        int keys = 100_000;
        PresenceFilter filter = new PresenceFilter(keys);
        StringBuilder k = new StringBuilder();
        for (int i = 0; i < keys; i++) {
            k.setLength(0);
            k.append('1').append("borrower-").append(i);
            filter.add(k);
        }
        for (int i = 0; i < keys; i++) {
            k.setLength(0);
            k.append('1').append("borrower-").append(i);
            assertTrue(filter.mightContain(k), "added key " + i);
            assertTrue(filter.mightContain(k.toString()), "the same key as a String " + i);
        }
        int maybe = 0;
        for (int i = 0; i < keys; i++) {
            k.setLength(0);
            k.append('2').append("borrower-").append(i); // the borrowers' other product: never added
            if (filter.mightContain(k)) {
                maybe++;
            }
        }
        // two bits in one word at about 8 bits a key: about 5 % false positives; fail well above it
        assertTrue(maybe < keys / 10, maybe + " of " + keys + " keys never added were reported present");
    }

    @Test
    void shouldSizeToAPowerOfTwoOfWordsAndReportAnEmptyFilterEmpty() {
        assertEquals(64, new PresenceFilter(0).words());
        assertEquals(16_384, new PresenceFilter(100_000).words()); // 800,000 bits = 12,500 words, rounded up
        PresenceFilter empty = new PresenceFilter(1_000);
        for (int i = 0; i < 1_000; i++) {
            assertFalse(empty.mightContain("b" + i));
        }
    }
}
