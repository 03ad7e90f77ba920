package dev.formica.engine.scorecard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** ARFF names become CEL identifiers that YAML reads as plain strings. */
class FeatureNamesTest {
    @Test
    void shouldReplaceDashesSpacesAndDotsAndFixLeadingDigits() {
        assertEquals("credit_amount", FeatureNames.sanitise("credit-amount", List.of()));
        assertEquals("checking_status", FeatureNames.sanitise("checking status", List.of()));
        assertEquals("bureau_score", FeatureNames.sanitise("bureau.score", List.of()));
        assertEquals("_3m_sales", FeatureNames.sanitise("3m-sales", List.of()));
        assertEquals("_", FeatureNames.sanitise("", List.of()));
    }

    @Test
    void shouldSuffixCelReservedWordsAndYamlBooleans() {
        assertEquals("in_", FeatureNames.sanitise("in", List.of()));
        assertEquals("null_", FeatureNames.sanitise("null", List.of()));
        assertEquals("true_", FeatureNames.sanitise("true", List.of()));
        assertEquals("Yes_", FeatureNames.sanitise("Yes", List.of()));
        assertEquals("income", FeatureNames.sanitise("income", List.of()));
    }

    @Test
    void shouldKeepNamesUniqueAfterSanitising() {
        assertEquals("a_b_2", FeatureNames.sanitise("a-b", List.of("a_b")));
        assertEquals("a_b_3", FeatureNames.sanitise("a b", List.of("a_b", "a_b_2")));
    }
}
