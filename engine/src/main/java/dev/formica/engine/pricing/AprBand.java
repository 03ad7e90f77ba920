package dev.formica.engine.pricing;

import dev.formica.v1.Grade;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The APR a product charges per credit grade, and the cap no APR may pass. Immutable, thread-safe,
 * allocation-free reads.
 *
 * <p>Every grade A..E must be priced, and no grade may be priced above the cap: such a band is refused at
 * construction (a configuration error must not silently become a lower price). {@link #aprFor(Grade)} still
 * clamps to the cap, so a caller that lowers the cap through {@link #withCap(int)} gets clamped prices.
 *
 * @param gradeToBps APR per grade, basis points (1,800 = 18 %)
 * @param capBps     the highest APR this band may charge, basis points
 */
record AprBand(Map<Grade, Integer> gradeToBps, int capBps) {
    // before DEFAULT: the static initialiser runs in order
    private static final Grade[] GRADES = {Grade.GRADE_A, Grade.GRADE_B, Grade.GRADE_C, Grade.GRADE_D, Grade.GRADE_E};

    /** The market band of REGULATION.md: 15 % for grade A to 24 % for grade E, cap 24 %. */
    public static final AprBand DEFAULT = new AprBand(Map.of(
            Grade.GRADE_A, 1500, Grade.GRADE_B, 1725, Grade.GRADE_C, 1950, Grade.GRADE_D, 2175, Grade.GRADE_E, 2400),
            2400);

    /** Validates the band; throws {@link IllegalArgumentException} naming the grade or the cap. */
    public AprBand {
        if (capBps < 0 || capBps > InstallmentPlanner.MAX_APR_BPS) {
            throw new IllegalArgumentException("apr cap_bps: must be 0.." + InstallmentPlanner.MAX_APR_BPS
                    + ", was " + capBps);
        }
        if (gradeToBps == null) {
            throw new IllegalArgumentException("apr grades: missing");
        }
        EnumMap<Grade, Integer> copy = new EnumMap<>(Grade.class);
        for (Grade grade : GRADES) {
            Integer bps = gradeToBps.get(grade);
            if (bps == null) {
                throw new IllegalArgumentException("apr grades." + letter(grade) + ": missing");
            }
            if (bps < 0 || bps > capBps) {
                throw new IllegalArgumentException("apr grades." + letter(grade) + ": " + bps
                        + " bps is outside 0.." + capBps + " (the cap)");
            }
            copy.put(grade, bps);
        }
        for (Grade grade : gradeToBps.keySet()) {
            if (!copy.containsKey(grade)) {
                throw new IllegalArgumentException("apr grades: " + grade + " is not a grade A..E");
            }
        }
        gradeToBps = Collections.unmodifiableMap(copy);
    }

    /** APR for the grade, clamped to the cap; {@link IllegalArgumentException} for an unspecified grade. */
    public int aprFor(Grade grade) {
        Integer bps = grade == null ? null : gradeToBps.get(grade);
        if (bps == null) {
            throw new IllegalArgumentException("grade: must be A..E, was " + grade);
        }
        return Math.min(bps, capBps);
    }

    /** APR for the grade number of the ledger (1 = A .. 5 = E), clamped to the cap. */
    public int aprFor(int gradeNumber) {
        if (gradeNumber < 1 || gradeNumber > GRADES.length) {
            throw new IllegalArgumentException("grade: must be 1..5 (A..E), was " + gradeNumber);
        }
        return aprFor(GRADES[gradeNumber - 1]);
    }

    /** The same band under a new cap; grades above it are clamped to it (for a regulator lowering the cap). */
    public AprBand withCap(int newCapBps) {
        EnumMap<Grade, Integer> clamped = new EnumMap<>(Grade.class);
        for (Grade grade : GRADES) {
            clamped.put(grade, Math.min(gradeToBps.get(grade), newCapBps));
        }
        return new AprBand(clamped, newCapBps);
    }

    private static String letter(Grade grade) {
        return grade.name().substring("GRADE_".length());
    }
}
