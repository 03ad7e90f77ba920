package dev.formica.engine.scorecard;

import java.util.List;
import java.util.Objects;

/**
 * A labelled table read from an ARFF file: the attributes in file order and one column per attribute.
 *
 * <p>Thread contract: immutable after {@link ArffReader} builds it; safe to share between threads as long as
 * nobody writes into the arrays it returns.
 */
public final class ArffData {
    /** What an attribute holds. ARFF {@code numeric}, {@code real} and {@code integer} are {@link #NUMERIC}. */
    public enum Kind {
        NUMERIC,
        NOMINAL,
        STRING
    }

    /**
     * One attribute: its name as written in the file, its kind and, for nominal ones, the declared values in
     * declaration order.
     */
    public record Attribute(String name, Kind kind, List<String> nominalValues) {
        public Attribute {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
            nominalValues = List.copyOf(nominalValues);
        }
    }

    private final String relation;
    private final List<Attribute> attributes;
    private final double[][] numbers;
    private final String[][] labels;
    private final int rows;

    ArffData(String relation, List<Attribute> attributes, double[][] numbers, String[][] labels, int rows) {
        this.relation = relation;
        this.attributes = List.copyOf(attributes);
        this.numbers = numbers;
        this.labels = labels;
        this.rows = rows;
    }

    public String relation() {
        return relation;
    }

    public List<Attribute> attributes() {
        return attributes;
    }

    public int rowCount() {
        return rows;
    }

    /** Index of the attribute with this name (exact match), or -1. */
    public int indexOf(String name) {
        for (int i = 0; i < attributes.size(); i++) {
            if (attributes.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The values of a numeric attribute, {@link Double#NaN} where the file had {@code ?}. */
    public double[] numbers(int attribute) {
        if (numbers[attribute] == null) {
            throw new IllegalArgumentException("attribute " + attributes.get(attribute).name() + " is not numeric");
        }
        return numbers[attribute];
    }

    /** The values of a nominal or string attribute, {@code null} where the file had {@code ?}. */
    public String[] labels(int attribute) {
        if (labels[attribute] == null) {
            throw new IllegalArgumentException("attribute " + attributes.get(attribute).name() + " is numeric");
        }
        return labels[attribute];
    }
}
