package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RateProfileTest {
    @Test
    void shouldScheduleConstantRateAtIOverRate() {
        RateProfile p = RateProfile.constant(1000);
        assertEquals(0L, p.offsetNanos(0));
        assertEquals(1_000_000L, p.offsetNanos(1));
        assertEquals(2_500_000_000L, p.offsetNanos(2500));
        assertEquals(250_000L, RateProfile.constant(4000).offsetNanos(1));
    }

    @Test
    void shouldGiveDouble11RatesAtInstants() {
        RateProfile p = RateProfile.double11(100, 1100, 10, 5, 20);
        assertEquals(100, p.rateAt(0), 1e-9);
        assertEquals(600, p.rateAt(5), 1e-9);
        assertEquals(1100, p.rateAt(10), 1e-9);
        assertEquals(1100, p.rateAt(12.5), 1e-9);
        assertEquals(600, p.rateAt(25), 1e-9);
        assertEquals(100, p.rateAt(35), 1e-9);
        assertEquals(100, p.rateAt(1000), 1e-9);
    }

    @Test
    void shouldSendAsManyRequestsAsTheAreaUnderTheRamp() {
        RateProfile p = RateProfile.double11(100, 1100, 10, 5, 20);
        // ramp area: 10 s * (100 + 1100) / 2 = 6000 requests; hold 5 s * 1100 = 5500
        assertEquals(6000, p.countAt(10), 1e-6);
        assertEquals(11_500, p.countAt(15), 1e-6);
        assertEquals(10.0, p.timeOfCount(6000), 1e-9);
        assertEquals(15.0, p.timeOfCount(11_500), 1e-9);
        for (double t : new double[] {0.3, 4, 9.99, 12, 20, 34.5, 50}) {
            assertEquals(t, p.timeOfCount(p.countAt(t)), 1e-6, "inverse at " + t);
        }
    }

    @Test
    void shouldKeepIntendedTimesNonDecreasingAcrossSegments() {
        RateProfile p = RateProfile.double11(50, 5000, 2, 0, 3).withWarmup(1);
        long previous = -1;
        for (long i = 0; i < 20_000; i++) {
            long t = p.offsetNanos(i);
            assertTrue(t >= previous, "offset of " + i + " went back");
            previous = t;
        }
    }

    @Test
    void shouldRunWarmupAtStartingRateThenTheProfile() {
        RateProfile p = RateProfile.double11(100, 1100, 10, 5, 20).withWarmup(5);
        assertEquals(100, p.rateAt(2), 1e-9);
        assertEquals(600, p.rateAt(10), 1e-9);
        assertEquals(500, p.countAt(5), 1e-9);
        assertEquals(5_000_000_000L, p.offsetNanos(500));
    }

    @Test
    void shouldRejectNonPositiveRates() {
        assertThrows(IllegalArgumentException.class, () -> RateProfile.constant(0));
        assertThrows(IllegalArgumentException.class, () -> RateProfile.double11(10, -1, 1, 1, 1));
    }
}
