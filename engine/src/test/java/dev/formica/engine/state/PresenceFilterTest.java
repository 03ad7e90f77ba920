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
    void shouldPutABorrowersProductsInOneWordAndStillTellThemApart() {
        PresenceFilter filter = new PresenceFilter(100_000);
        int sameWord = 0;
        int told = 0;
        for (int i = 0; i < 10_000; i++) {
            String borrower = "borrower-" + i;
            if (filter.wordOf("1" + borrower) == filter.wordOf("2" + borrower)
                    && filter.wordOf("1" + borrower) == filter.wordOf("3" + borrower)) {
                sameWord++;
            }
            PresenceFilter one = new PresenceFilter(64);
            one.add("1" + borrower);
            if (!one.mightContain("2" + borrower) && !one.mightContain("3" + borrower)) {
                told++;
            }
        }
        assertEquals(10_000, sameWord, "a Decide's look-ups of one borrower's three lines read one word");
        // in an otherwise empty filter a product's two bits are those of another product of the borrower only by a
        // collision of two 6-bit pairs (about 2 in 4,096 for each of the two other products)
        assertTrue(told > 9_950, told + " of 10,000 borrowers' other products told apart from their first");
    }

    @Test
    void shouldAnswerForAnyOfABorrowersKeysWhatEachKeyWouldAnswer() {
        PresenceFilter filter = new PresenceFilter(100_000);
        for (int i = 0; i < 20_000; i++) {
            filter.add((char) ('0' + i % 4) + "borrower-" + i); // one key each: the activity or one of three lines
        }
        int maybe = 0;
        for (int i = 0; i < 40_000; i++) {
            String rest = "borrower-" + i;
            boolean any = false;
            for (char c = '0'; c <= '3'; c++) {
                any |= filter.mightContain(c + rest);
            }
            // the first char of the key asked with is not read: any of the four gives the same answer
            assertEquals(any, filter.mightContainAnyFirst("9" + rest, '0', '3'), rest);
            assertEquals(filter.mightContain("2" + rest), filter.mightContainAnyFirst("0" + rest, '2', '2'), rest);
            if (i < 20_000) {
                assertTrue(any, rest);
            } else if (any) {
                maybe++;
            }
        }
        // four keys' bits asked in one word of a filter a fifth full: rarely all there for a borrower never added
        assertTrue(maybe < 20_000 / 10, maybe + " of 20,000 borrowers never added were reported present");
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
