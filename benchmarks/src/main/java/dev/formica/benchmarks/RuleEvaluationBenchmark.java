package dev.formica.benchmarks;

import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.engine.rules.FeatureLayout;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.engine.rules.Features;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.Rule;
import dev.formica.engine.rules.RuleSetFixture;
import dev.formica.engine.rules.Scorecard;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The shipped default rule set (32 fraud rules, a 12-attribute scorecard, 7 credit rules) over prepared
 * feature vectors: the specialised slot evaluators the engine runs, against the same checked CEL expressions
 * on the {@code dev.cel} interpreter (rules built by the engine's test fixture {@link RuleSetFixture}), both
 * called through {@link Rule#fires}. Features are filled in setup, so this is rule evaluation alone.
 *
 * <p>Protects: issue 5's goal of ≤ 2 µs per decision and 0 B/op for the default rule set, and the choice
 * of evaluator (BENCHMARKS.md, "Rule evaluation vs Drools").
 *
 * <pre>
 * ./formica bench RuleEvaluationBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 4, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public class RuleEvaluationBenchmark {
    private static final int INPUTS = 1024;
    private static final String[] STRINGS = {"", "CN", "US", "CONSUMER_CREDIT", "CASH_LOAN", "APP", "POS", "5411",
        "7995", "own", "rent", "CN-31", "A", "B", "C"};

    private CompiledRuleSet rules;
    private FeatureVector[] inputs;
    private Rule[] interpreted;
    private int[] points;
    private int[] bins;
    private int next;

    @Setup
    public void prepare() {
        rules = DefaultRuleSet.compile(RegulatoryParameters.builtin());
        SplittableRandom random = new SplittableRandom(42);
        inputs = new FeatureVector[INPUTS];
        for (int n = 0; n < INPUTS; n++) {
            FeatureVector v = new FeatureVector(rules.layout().size());
            for (FeatureLayout.Slot slot : rules.layout().all().values()) {
                if (slot.creditStage() || random.nextInt(6) == 0) {
                    continue;
                }
                switch (slot.type()) {
                    case INT -> v.setInt(slot.index(), random.nextInt(4) == 0 ? random.nextLong(0, 10)
                            : random.nextLong(0, 3_000_000));
                    case DOUBLE -> v.setDouble(slot.index(), random.nextDouble(-3, 6));
                    case BOOL -> v.setBool(slot.index(), random.nextInt(10) == 0);
                    default -> v.setString(slot.index(), STRINGS[random.nextInt(STRINGS.length)]);
                }
            }
            inputs[n] = v;
        }
        interpreted = RuleSetFixture.interpretedRules(rules);
        points = new int[rules.scorecard().attributeCount()];
        bins = new int[points.length];
    }

    /** Fired-rule count plus the score: what a decision needs from evaluation. */
    @Benchmark
    public int compiled() {
        FeatureVector v = inputs[next++ & (INPUTS - 1)];
        int fired = 0;
        for (int i = 0; i < rules.fraudRuleCount(); i++) {
            if (rules.fraudRule(i).fires(v)) {
                fired++;
            }
        }
        int score = score(v);
        for (int i = 0; i < rules.creditRuleCount(); i++) {
            if (rules.creditRule(i).fires(v)) {
                fired++;
            }
        }
        return fired * 10_000 + score;
    }

    @Benchmark
    public int celInterpreter() {
        FeatureVector v = inputs[next++ & (INPUTS - 1)];
        int fired = 0;
        int fraud = rules.fraudRuleCount();
        for (int i = 0; i < fraud; i++) {
            if (interpreted[i].fires(v)) {
                fired++;
            }
        }
        int score = score(v);
        for (int i = fraud; i < interpreted.length; i++) {
            if (interpreted[i].fires(v)) {
                fired++;
            }
        }
        return fired * 10_000 + score;
    }

    private int score(FeatureVector v) {
        Scorecard card = rules.scorecard();
        int score = card.score(v, points, bins);
        int grade = card.grade(score);
        v.setInt(Features.SCORE, score);
        v.setDouble(Features.PD, card.pd(score));
        v.setString(Features.GRADE, GRADE_NAMES[grade]);
        return score;
    }

    private static final String[] GRADE_NAMES = {"", "A", "B", "C", "D", "E"};
}
