package dev.formica.engine.rules;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a YAML document as a node tree that keeps line and column, so every problem in a rule-set or
 * regulatory file is reported where it is. Problems are collected, not thrown, so one validation run
 * reports them all.
 *
 * <p>Thread contract: one instance per parse, one thread.
 */
final class YamlNodes {
    private final List<RuleProblem> problems = new ArrayList<>();

    List<RuleProblem> problems() {
        return problems;
    }

    /** Composes the document; null (with a problem recorded) when it is not valid YAML or not a mapping. */
    MappingNode root(String text) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(10);
        options.setCodePointLimit(2 * 1024 * 1024);
        try {
            Node node = new Yaml(options).compose(new StringReader(text));
            if (node instanceof MappingNode m) {
                return m;
            }
            problem(node, "the file must be a YAML mapping of keys (version, features, fraud, ...)");
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            problems.add(new RuleProblem(mark == null ? 0 : mark.getLine() + 1, mark == null ? 0 : mark.getColumn() + 1,
                    "not valid YAML: " + e.getProblem()));
        } catch (RuntimeException e) {
            problems.add(new RuleProblem(0, 0, "not valid YAML: " + e.getMessage()));
        }
        return null;
    }

    void problem(Node at, String message) {
        if (at == null) {
            problems.add(new RuleProblem(0, 0, message));
        } else {
            problems.add(new RuleProblem(at.getStartMark().getLine() + 1, at.getStartMark().getColumn() + 1, message));
        }
    }

    /** The mapping's entries by key, in file order; reports keys not in {@code allowed}. */
    Map<String, Node> entries(Node node, String what, String... allowed) {
        Map<String, Node> out = new LinkedHashMap<>();
        if (!(node instanceof MappingNode m)) {
            problem(node, what + ": expected a mapping");
            return out;
        }
        for (NodeTuple t : m.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                problem(t.getKeyNode(), what + ": keys must be plain names");
                continue;
            }
            String key = k.getValue();
            if (allowed.length > 0 && !List.of(allowed).contains(key)) {
                problem(k, what + ": unknown key '" + key + "' (allowed: " + String.join(", ", allowed) + ")");
                continue;
            }
            out.put(key, t.getValueNode());
        }
        return out;
    }

    /** Key nodes of a mapping, for messages that point at the key. */
    Map<String, Node> keys(Node node) {
        Map<String, Node> out = new LinkedHashMap<>();
        if (node instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k) {
                    out.put(k.getValue(), k);
                }
            }
        }
        return out;
    }

    List<Node> list(Node node, String what) {
        if (node == null) {
            return List.of();
        }
        if (!(node instanceof SequenceNode s)) {
            problem(node, what + ": expected a list");
            return List.of();
        }
        return s.getValue();
    }

    String string(Node node, String what) {
        if (!(node instanceof ScalarNode s)) {
            problem(node, what + ": expected a text value");
            return null;
        }
        return s.getValue();
    }

    String requiredString(Map<String, Node> entries, String key, Node parent, String what) {
        Node n = entries.get(key);
        if (n == null) {
            problem(parent, what + ": '" + key + "' is required");
            return null;
        }
        String s = string(n, what + "." + key);
        if (s != null && s.isBlank()) {
            problem(n, what + "." + key + ": must not be empty");
            return null;
        }
        return s;
    }

    /** An integer in [min, max]; {@code fallback} when absent; null (and a problem) when invalid. */
    Long integer(Node node, String what, long min, long max) {
        String s = string(node, what);
        if (s == null) {
            return null;
        }
        try {
            long v = Long.parseLong(s.replace("_", ""));
            if (v < min || v > max) {
                problem(node, what + ": " + v + " is outside " + min + ".." + max);
                return null;
            }
            return v;
        } catch (NumberFormatException e) {
            problem(node, what + ": '" + s + "' is not a whole number");
            return null;
        }
    }

    long integer(Map<String, Node> entries, String key, String what, long min, long max, long fallback) {
        Node n = entries.get(key);
        if (n == null) {
            return fallback;
        }
        Long v = integer(n, what + "." + key, min, max);
        return v == null ? fallback : v;
    }

    Double number(Node node, String what) {
        String s = string(node, what);
        if (s == null) {
            return null;
        }
        try {
            double d = Double.parseDouble(s.replace("_", ""));
            if (!Double.isFinite(d)) {
                problem(node, what + ": must be a finite number");
                return null;
            }
            return d;
        } catch (NumberFormatException e) {
            problem(node, what + ": '" + s + "' is not a number");
            return null;
        }
    }

    boolean bool(Node node, String what, boolean fallback) {
        if (node == null) {
            return fallback;
        }
        String s = string(node, what);
        if ("true".equals(s)) {
            return true;
        }
        if ("false".equals(s)) {
            return false;
        }
        problem(node, what + ": expected true or false");
        return fallback;
    }

    /** Line and column where an expression's text starts inside a scalar (quotes and block headers skipped). */
    static int[] textStart(Node node) {
        int line = node.getStartMark().getLine() + 1;
        int column = node.getStartMark().getColumn() + 1;
        if (node instanceof ScalarNode s) {
            switch (s.getScalarStyle()) {
                case DOUBLE_QUOTED:
                case SINGLE_QUOTED:
                    return new int[] {line, column + 1};
                case LITERAL:
                case FOLDED:
                    return new int[] {line + 1, 0};
                default:
                    return new int[] {line, column};
            }
        }
        return new int[] {line, column};
    }
}
