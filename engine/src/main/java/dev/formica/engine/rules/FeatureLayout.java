package dev.formica.engine.rules;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where each feature of one rule set lives in the {@link FeatureVector}: the built-ins at their fixed
 * slots, then the rule set's declared features in declaration order.
 *
 * <p>Thread contract: immutable after construction.
 */
public final class FeatureLayout {
    /** One feature: name, type, slot; {@code declared} ones are read from request and profile attributes. */
    public record Slot(String name, FeatureType type, int index, boolean declared, boolean creditStage) {
    }

    private final Map<String, Slot> byName;
    private final Slot[] declared;

    FeatureLayout(Map<String, FeatureType> declaredFeatures) {
        Map<String, Slot> map = new LinkedHashMap<>();
        for (Features.Builtin b : Features.builtins()) {
            map.put(b.name(), new Slot(b.name(), b.type(), b.slot(), false, b.creditStage()));
        }
        declared = new Slot[declaredFeatures.size()];
        int i = 0;
        for (Map.Entry<String, FeatureType> e : declaredFeatures.entrySet()) {
            Slot slot = new Slot(e.getKey(), e.getValue(), Features.BUILTIN_COUNT + i, true, false);
            map.put(e.getKey(), slot);
            declared[i++] = slot;
        }
        byName = Collections.unmodifiableMap(map);
    }

    /** The slot of a feature, or null when this rule set has no such feature. */
    public Slot slot(String name) {
        return byName.get(name);
    }

    public Map<String, Slot> all() {
        return byName;
    }

    /** The i-th declared feature (no copy: for the per-decision loop). */
    public Slot declaredAt(int i) {
        return declared[i];
    }

    public int declaredCount() {
        return declared.length;
    }

    /** Slots a {@link FeatureVector} needs for this layout. */
    public int size() {
        return Features.BUILTIN_COUNT + declared.length;
    }
}
