package dev.formica.engine.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.v1.Grade;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AprBandTest {
    @Test
    void shouldPriceEachGradeOfTheDefaultBandFrom15To24Percent() {
        assertEquals(1500, AprBand.DEFAULT.aprFor(Grade.GRADE_A));
        assertEquals(1950, AprBand.DEFAULT.aprFor(Grade.GRADE_C));
        assertEquals(2400, AprBand.DEFAULT.aprFor(Grade.GRADE_E));
        assertEquals(1725, AprBand.DEFAULT.aprFor(2), "grade number 2 is B");
    }

    @Test
    void shouldRefuseABandAboveItsCapNamingTheGrade() {
        Map<Grade, Integer> grades = new HashMap<>(AprBand.DEFAULT.gradeToBps());
        grades.put(Grade.GRADE_D, 2500);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AprBand(grades, 2400));
        assertTrue(e.getMessage().contains("grades.D"), e.getMessage());
    }

    @Test
    void shouldRefuseAMissingGrade() {
        Map<Grade, Integer> grades = new HashMap<>(AprBand.DEFAULT.gradeToBps());
        grades.remove(Grade.GRADE_B);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AprBand(grades, 2400));
        assertTrue(e.getMessage().contains("grades.B"), e.getMessage());
    }

    @Test
    void shouldClampToALoweredCap() {
        AprBand lowered = AprBand.DEFAULT.withCap(2000);
        assertEquals(1500, lowered.aprFor(Grade.GRADE_A));
        assertEquals(1950, lowered.aprFor(Grade.GRADE_C));
        assertEquals(2000, lowered.aprFor(Grade.GRADE_D));
        assertEquals(2000, lowered.aprFor(Grade.GRADE_E));
    }

    @Test
    void shouldRejectAnUnspecifiedGrade() {
        assertThrows(IllegalArgumentException.class, () -> AprBand.DEFAULT.aprFor(Grade.GRADE_UNSPECIFIED));
        assertThrows(IllegalArgumentException.class, () -> AprBand.DEFAULT.aprFor(0));
    }
}
