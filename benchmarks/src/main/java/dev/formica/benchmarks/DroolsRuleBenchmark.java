package dev.formica.benchmarks;

import dev.formica.benchmarks.drools.Applicant;
import dev.formica.benchmarks.drools.Outcome;
import dev.formica.benchmarks.drools.RuleInputs;
import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.engine.rules.Features;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.Rule;
import dev.formica.engine.rules.Scorecard;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.drools.model.codegen.ExecutableModelProject;
import org.kie.api.KieServices;
import org.kie.api.builder.KieBuilder;
import org.kie.api.builder.KieFileSystem;
import org.kie.api.builder.Message;
import org.kie.api.builder.model.KieBaseModel;
import org.kie.api.builder.model.KieModuleModel;
import org.kie.api.builder.model.KieSessionModel;
import org.kie.api.runtime.KieContainer;
import org.kie.api.runtime.KieContainerSessionsPool;
import org.kie.api.runtime.KieSession;
import org.kie.api.runtime.StatelessKieSession;
import org.kie.api.runtime.rule.FactHandle;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The shipped default rule set (all fraud rules, the points scorecard, all credit rules) evaluated by Formica's
 * compiled rules and by the same decision logic written in DRL for Drools ({@code drools/formica-*.drl}): one
 * rule per fraud or credit rule, and the scorecard either as one rule per bin plus an accumulate (the faithful
 * rule-engine form, {@code scorecard=rules}) or as one rule calling a plain-Java function ({@code function},
 * Drools' cheapest form, which keeps no per-attribute points). Both sides read
 * identical pre-built inputs (1,024 seeded plausible decisions, round robin) and do no feature gathering; each
 * Drools trial's setup fails unless, on every input and in every session kind, Drools fires exactly the rule
 * codes Formica fires and gives the same strongest action, score, PD and grade.
 *
 * <p>Drools is built two ways ({@code build}): the classic DRL compiler ({@code drools-engine-classic}, MVEL
 * constraints jitted to bytecode) and the executable model ({@code drools-model-codegen}, DRL compiled to Java
 * lambdas, what Drools recommends since 8). Each is run three ways: a {@link StatelessKieSession} (a new session
 * per call, the documented stateless use), a stateless session from a {@link KieContainerSessionsPool} (reused,
 * reset sessions), and one {@link KieSession} reused with insert / fireAllRules / delete. Issue 5 item 2 asks
 * Formica to be at least 10x faster than the fastest of them; BENCHMARKS.md has the figures.
 *
 * <pre>
 * mvn -B -q -pl proto,engine,benchmarks -am package -DskipTests
 * java @benchmarks/target/jvm.options -jar benchmarks/target/benchmarks.jar DroolsRuleBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 6, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 8, time = 1, timeUnit = TimeUnit.SECONDS)
@Threads(1)
public class DroolsRuleBenchmark {
    static final int INPUTS = 1024;
    static final long SEED = 20261128L;
    static final String DRL_DIR = "dev/formica/benchmarks/drools/";
    /** The fraud and credit rules; the scorecard comes from one of the two {@code formica-scorecard-*.drl}. */
    static final String DRL = "formica-default.drl";
    private static final String[] GRADE_NAMES = {"", "A", "B", "C", "D", "E"};

    /** The inputs, both shapes, and Formica's compiled default set with RiskEvaluator's scratch. */
    @State(Scope.Thread)
    public static class Data {
        Applicant[] applicants;
        FeatureVector[] vectors;
        int cursor;
        final Outcome outcome = new Outcome();

        CompiledRuleSet rules;
        int[] fired;
        int firedCount;
        int[] points;
        int[] bins;
        long ruleErrors;

        @Setup(Level.Trial)
        public void setUp() {
            rules = DefaultRuleSet.compile(RegulatoryParameters.builtin());
            fired = new int[rules.fraudRuleCount() + rules.creditRuleCount()];
            points = new int[rules.scorecard().attributeCount()];
            bins = new int[rules.scorecard().attributeCount()];
            applicants = RuleInputs.generate(INPUTS, SEED);
            vectors = new FeatureVector[INPUTS];
            for (int i = 0; i < INPUTS; i++) {
                vectors[i] = RuleInputs.toVector(applicants[i], rules.layout());
            }
        }

        int next() {
            outcome.reset();
            return cursor++ & (INPUTS - 1);
        }

        /** What {@code RiskEvaluator.fraud} then {@code RiskEvaluator.credit} do over a filled vector. */
        long evaluate(FeatureVector v) {
            firedCount = 0;
            Rule.Action worst = Rule.Action.TAG;
            for (int i = 0; i < rules.fraudRuleCount(); i++) {
                worst = run(rules.fraudRule(i), v, i, worst);
            }
            Scorecard card = rules.scorecard();
            int score = card.score(v, points, bins);
            double pd = card.pd(score);
            int grade = card.grade(score);
            v.setInt(Features.SCORE, score);
            v.setDouble(Features.PD, pd);
            v.setString(Features.GRADE, GRADE_NAMES[grade]);
            int base = rules.fraudRuleCount();
            for (int i = 0; i < rules.creditRuleCount(); i++) {
                worst = run(rules.creditRule(i), v, base + i, worst);
            }
            return firedCount * 1_000L + score + worst.ordinal();
        }

        private Rule.Action run(Rule rule, FeatureVector v, int index, Rule.Action worst) {
            try {
                if (rule.fires(v)) {
                    fired[firedCount++] = index;
                    return rule.action().compareTo(worst) > 0 ? rule.action() : worst;
                }
            } catch (ArithmeticException e) {
                ruleErrors++;
            }
            return worst;
        }

        Rule firedRule(int i) {
            int index = fired[i];
            return index < rules.fraudRuleCount() ? rules.fraudRule(index)
                    : rules.creditRule(index - rules.fraudRuleCount());
        }
    }

    /** The DRL built one way, with its three kinds of session; the global {@code outcome} is {@link Data}'s. */
    @State(Scope.Thread)
    public static class Drools {
        @Param({"classic", "executable-model"})
        public String build;

        /** {@code rules}: one rule per bin and an accumulate (faithful); {@code function}: one rule, plain Java. */
        @Param({"rules", "function"})
        public String scorecard;

        KieContainer container;
        KieContainerSessionsPool pool;
        StatelessKieSession stateless;
        StatelessKieSession pooledStateless;
        KieSession stateful;

        @Setup(Level.Trial)
        public void setUp(Data data) {
            container = buildContainer("executable-model".equals(build), "formica-scorecard-" + scorecard + ".drl");
            stateless = container.newStatelessKieSession("stateless");
            stateless.setGlobal("outcome", data.outcome);
            pool = container.newKieSessionsPool(1);
            // the pool backs stateless sessions with reset stateful ones, so it takes the stateful session model
            pooledStateless = pool.newStatelessKieSession("stateful");
            pooledStateless.setGlobal("outcome", data.outcome);
            stateful = container.newKieSession("stateful");
            stateful.setGlobal("outcome", data.outcome);
            checkSameDecisions(data);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            stateful.dispose();
            pool.shutdown();
            container.dispose();
        }

        void evaluateStateful(Applicant a) {
            stateful.insert(a);
            stateful.fireAllRules();
            // the applicant and what the rules inserted (one Points per scorecard attribute, the Score)
            for (Object handle : stateful.getFactHandles().toArray()) {
                stateful.delete((FactHandle) handle);
            }
        }

        /** Fails the trial unless every session kind decides every input exactly as Formica does. */
        private void checkSameDecisions(Data data) {
            TreeMap<String, Integer> fires = new TreeMap<>();
            long totalFired = 0;
            Outcome outcome = data.outcome;
            for (int i = 0; i < INPUTS; i++) {
                long formica = data.evaluate(data.vectors[i]);
                List<String> expected = new ArrayList<>();
                for (int k = 0; k < data.firedCount; k++) {
                    expected.add(data.firedRule(k).code());
                    fires.merge(data.firedRule(k).code(), 1, Integer::sum);
                }
                expected.sort(null);
                totalFired += data.firedCount;
                FeatureVector v = data.vectors[i];
                String grade = v.getString(Features.GRADE).toString();
                for (String kind : new String[] {"stateless", "pooled", "stateful"}) {
                    outcome.reset();
                    switch (kind) {
                        case "stateless":
                            stateless.execute(data.applicants[i]);
                            break;
                        case "pooled":
                            pooledStateless.execute(data.applicants[i]);
                            break;
                        default:
                            evaluateStateful(data.applicants[i]);
                            break;
                    }
                    List<String> actual = new ArrayList<>(outcome.codes());
                    actual.sort(null);
                    if (!expected.equals(actual) || outcome.score() != v.getInt(Features.SCORE)
                            || !grade.equals(outcome.grade()) || outcome.pd() != v.getDouble(Features.PD)
                            || result(outcome) != formica) {
                        throw new IllegalStateException("input " + i + ": Formica fired " + expected + " score "
                                + v.getInt(Features.SCORE) + " grade " + grade + ", Drools (" + build + ", " + scorecard
                                + ", " + kind + ") fired " + actual + " score " + outcome.score() + " grade "
                                + outcome.grade());
                    }
                }
                if (stateful.getFactCount() != 0) {
                    throw new IllegalStateException("the reused session kept " + stateful.getFactCount() + " facts");
                }
            }
            int ruleCount = data.rules.fraudRuleCount() + data.rules.creditRuleCount();
            if (fires.size() != ruleCount || data.ruleErrors != 0) {
                throw new IllegalStateException("the inputs fire only " + fires.size() + " of " + ruleCount
                        + " rules (" + fires + "), rule errors " + data.ruleErrors);
            }
            System.out.printf("%nSame decisions (%s, scorecard %s) on all %d inputs; %.2f rules fired per input;"
                    + " fires per rule %s%n", build, scorecard, INPUTS, totalFired / (double) INPUTS, fires);
        }
    }

    @Benchmark
    public long formica(Data data) {
        return data.evaluate(data.vectors[data.next()]);
    }

    @Benchmark
    public long droolsStateless(Data data, Drools drools) {
        drools.stateless.execute(data.applicants[data.next()]);
        return result(data.outcome);
    }

    @Benchmark
    public long droolsStatelessPooled(Data data, Drools drools) {
        drools.pooledStateless.execute(data.applicants[data.next()]);
        return result(data.outcome);
    }

    @Benchmark
    public long droolsStatefulReused(Data data, Drools drools) {
        drools.evaluateStateful(data.applicants[data.next()]);
        return result(data.outcome);
    }

    private static long result(Outcome o) {
        return o.codes().size() * 1_000L + o.score() + o.worst();
    }

    private static KieContainer buildContainer(boolean executableModel, String scorecardDrl) {
        KieServices ks = KieServices.get();
        KieModuleModel module = ks.newKieModuleModel();
        KieBaseModel base = module.newKieBaseModel("formica").setDefault(true)
                .addPackage("dev.formica.benchmarks.drools");
        base.newKieSessionModel("stateless").setType(KieSessionModel.KieSessionType.STATELESS);
        base.newKieSessionModel("stateful").setType(KieSessionModel.KieSessionType.STATEFUL).setDefault(true);
        KieFileSystem files = ks.newKieFileSystem();
        files.writeKModuleXML(module.toXML());
        files.write("src/main/resources/" + DRL_DIR + DRL, drl(DRL));
        files.write("src/main/resources/" + DRL_DIR + scorecardDrl, drl(scorecardDrl));
        KieBuilder builder = ks.newKieBuilder(files);
        if (executableModel) {
            builder.buildAll(ExecutableModelProject.class);
        } else {
            builder.buildAll();
        }
        if (builder.getResults().hasMessages(Message.Level.ERROR)) {
            throw new IllegalStateException("the DRL does not compile: " + builder.getResults().getMessages());
        }
        return ks.newKieContainer(builder.getKieModule().getReleaseId());
    }

    private static String drl(String name) {
        try (InputStream in = DroolsRuleBenchmark.class.getClassLoader().getResourceAsStream(DRL_DIR + name)) {
            if (in == null) {
                throw new IllegalStateException(DRL_DIR + name + " missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + name, e);
        }
    }
}
