package dev.formica.engine.scorecard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.Yaml;

/**
 * Reads rule-set YAML back with SnakeYAML, checking it has exactly the keys of the rule-set format (nothing
 * invented), and rebuilds the {@link FittedScorecard} from what it parsed, so a test can score with the file itself.
 */
final class ScorecardYamlFormat {
    private ScorecardYamlFormat() {
    }

    @SuppressWarnings("unchecked")
    static FittedScorecard parse(String yaml) {
        Object root = new Yaml().load(yaml);
        Map<String, Object> top = assertInstanceOf(Map.class, root);
        assertEquals(Set.of("features", "scorecard"), top.keySet());
        Map<String, Object> features = assertInstanceOf(Map.class, top.get("features"));
        Map<String, FittedFeatureType> types = new LinkedHashMap<>();
        features.forEach((name, type) -> {
            assertTrue(name.matches("[A-Za-z_][A-Za-z0-9_.]*"), "feature name " + name);
            assertTrue(Set.of("int", "double", "bool", "string").contains(type), "type " + type);
            types.put(name, FittedFeatureType.valueOf(((String) type).toUpperCase(Locale.ROOT)));
        });
        Map<String, Object> sc = assertInstanceOf(Map.class, top.get("scorecard"));
        assertEquals(Set.of("base_score", "base_odds", "pdo", "attributes", "grades"), sc.keySet());
        int baseScore = assertInstanceOf(Integer.class, sc.get("base_score"));
        double baseOdds = ((Number) sc.get("base_odds")).doubleValue();
        double pdo = ((Number) sc.get("pdo")).doubleValue();
        List<FittedScorecard.Attribute> attributes = new ArrayList<>();
        for (Object a : assertInstanceOf(List.class, sc.get("attributes"))) {
            Map<String, Object> attribute = assertInstanceOf(Map.class, a);
            assertEquals(Set.of("feature", "missing_points", "bins"), attribute.keySet());
            String feature = assertInstanceOf(String.class, attribute.get("feature"));
            FittedFeatureType type = types.get(feature);
            assertNotNull(type, "attribute " + feature + " is declared under features:");
            int missing = assertInstanceOf(Integer.class, attribute.get("missing_points"));
            List<Object> rawBins = assertInstanceOf(List.class, attribute.get("bins"));
            List<FittedScorecard.Bin> bins = new ArrayList<>();
            for (int i = 0; i < rawBins.size(); i++) {
                Map<String, Object> bin = assertInstanceOf(Map.class, rawBins.get(i));
                assertTrue(Set.of("in", "below", "points").containsAll(bin.keySet()), "bin keys " + bin.keySet());
                assertTrue(!(bin.containsKey("in") && bin.containsKey("below")), "one condition per bin");
                int points = assertInstanceOf(Integer.class, bin.get("points"));
                boolean last = i == rawBins.size() - 1;
                assertEquals(last, bin.size() == 1, "only the last bin of " + feature + " has no condition");
                List<String> in = null;
                Double below = null;
                if (bin.containsKey("in")) {
                    in = new ArrayList<>();
                    for (Object v : assertInstanceOf(List.class, bin.get("in"))) {
                        in.add(assertInstanceOf(String.class, v));
                    }
                    assertEquals(FittedFeatureType.STRING, type);
                } else if (bin.containsKey("below")) {
                    Object bound = bin.get("below");
                    if (type == FittedFeatureType.INT) {
                        assertInstanceOf(Integer.class, bound, "an int feature has whole-number bounds");
                    }
                    below = ((Number) bound).doubleValue();
                }
                bins.add(new FittedScorecard.Bin(in, below, points));
            }
            attributes.add(new FittedScorecard.Attribute(feature, type, missing, bins));
        }
        assertEquals(types.keySet(), new LinkedHashSet<>(attributes.stream()
                .map(FittedScorecard.Attribute::feature).toList()), "features: lists exactly the scorecard's features");
        Map<String, Object> rawGrades = assertInstanceOf(Map.class, sc.get("grades"));
        assertEquals(List.of("A", "B", "C", "D"), new ArrayList<>(rawGrades.keySet()));
        Map<String, Integer> grades = new LinkedHashMap<>();
        int previous = Integer.MAX_VALUE;
        for (Map.Entry<String, Object> g : rawGrades.entrySet()) {
            int min = assertInstanceOf(Integer.class, g.getValue());
            assertTrue(min < previous, "grade minimums fall from A to D");
            previous = min;
            grades.put(g.getKey(), min);
        }
        return new FittedScorecard(baseScore, baseOdds, pdo, attributes, grades);
    }
}
