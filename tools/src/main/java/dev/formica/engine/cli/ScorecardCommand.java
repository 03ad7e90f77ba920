package dev.formica.engine.cli;

import dev.formica.engine.scorecard.ArffData;
import dev.formica.engine.scorecard.ArffReader;
import dev.formica.engine.scorecard.AttributeBinner;
import dev.formica.engine.scorecard.AttributeBinning;
import dev.formica.engine.scorecard.CrossValidation;
import dev.formica.engine.scorecard.FittedScorecard;
import dev.formica.engine.scorecard.ScorecardFitter;
import dev.formica.engine.scorecard.ScorecardYaml;
import dev.formica.engine.scorecard.WeightOfEvidence;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code formica scorecard}: tools for points scorecards. {@code formica scorecard fit --arff FILE} fits one to
 * labelled data (see {@code docs/scorecard-fitting.md}).
 *
 * <p>Thread contract: runs on the calling thread.
 */
@Command(name = "scorecard", mixinStandardHelpOptions = true,
        description = "Points scorecards: fit one to labelled data.",
        subcommands = {ScorecardCommand.Fit.class})
public final class ScorecardCommand implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * {@code formica scorecard fit}: WoE binning + logistic regression + points scaling, k-fold cross-validated,
     * written as the {@code features:} and {@code scorecard:} sections of a rule-set file.
     */
    @Command(name = "fit", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Fit a points scorecard to labelled ARFF data: weight-of-evidence binning, logistic "
                    + "regression, scaling to points; report holdout AUC and KS from stratified k-fold "
                    + "cross-validation of the whole pipeline and the IV table; write the features: and scorecard: "
                    + "sections of a rule-set file.")
    public static final class Fit implements Callable<Integer> {
        @Option(names = "--arff", required = true, paramLabel = "FILE",
                description = "Labelled data (.arff or .arff.gz).")
        Path arff;

        @Option(names = "--target", paramLabel = "ATTR", description = "The class attribute (default: the last one).")
        String target;

        @Option(names = "--good", paramLabel = "VALUE",
                description = "The target value meaning good; all others are bad (default: its first declared value).")
        String good;

        @Option(names = "--folds", defaultValue = "5",
                description = "Cross-validation folds (default ${DEFAULT-VALUE}).")
        int folds;

        @Option(names = "--bins", defaultValue = "10",
                description = "Quantile pre-bins per numeric attribute, before merging (default ${DEFAULT-VALUE}).")
        int bins;

        @Option(names = "--seed", defaultValue = "1",
                description = "Seed of the fold assignment (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--out", defaultValue = "rules-scorecard.yaml", paramLabel = "FILE",
                description = "Where to write the YAML (default ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--min-bin-share", defaultValue = "0.05",
                description = "Smallest share of the rows a bin may hold (default ${DEFAULT-VALUE}).")
        double minBinShare;

        @Option(names = "--iv-threshold", defaultValue = "0.02",
                description = "Drop attributes with a smaller information value (default ${DEFAULT-VALUE}).")
        double ivThreshold;

        @Option(names = "--monotone", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Merge numeric bins until their WoE is monotone (default: on; --no-monotone: off).")
        boolean monotone;

        @Option(names = "--base-score", defaultValue = "600",
                description = "Score at the base odds (default ${DEFAULT-VALUE}).")
        int baseScore;

        @Option(names = "--base-odds", defaultValue = "50",
                description = "Good:bad odds at the base score (default ${DEFAULT-VALUE}).")
        double baseOdds;

        @Option(names = "--pdo", defaultValue = "20",
                description = "Points to double the odds (default ${DEFAULT-VALUE}).")
        double pdo;

        private final PrintStream stdout = System.out;
        private final PrintStream stderr = System.err;

        @Override
        public Integer call() throws IOException {
            try {
                return fit();
            } catch (NoSuchFileException e) {
                stderr.println("formica scorecard fit: no such file: " + e.getFile());
                return 2;
            } catch (IllegalArgumentException e) {
                stderr.println("formica scorecard fit: " + e.getMessage());
                return 2;
            }
        }

        private int fit() throws IOException {
            ArffData data = ArffReader.read(arff);
            ScorecardFitter.Options options = new ScorecardFitter.Options(target, good,
                    new AttributeBinner.Options(bins, minBinShare, monotone, WeightOfEvidence.DEFAULT_SMOOTHING),
                    ivThreshold, 0, baseScore, baseOdds, pdo);
            ScorecardFitter fitter = new ScorecardFitter(data, options);
            int[] rows = fitter.labelledRows();
            int goods = 0;
            for (int r : rows) {
                goods += fitter.isGood(r) ? 1 : 0;
            }
            String file = arff.getFileName().toString();
            stdout.printf(Locale.ROOT, "read      %s: %,d rows (%,d labelled: %,d good, %,d bad), %d attributes; "
                            + "target '%s', good = '%s'%n", file, data.rowCount(), rows.length, goods,
                    rows.length - goods, fitter.predictorCount(), fitter.targetName(), fitter.goodLabel());

            CrossValidation.Result cv = CrossValidation.run(fitter, folds, seed);
            for (CrossValidation.Fold f : cv.folds()) {
                stdout.printf(Locale.ROOT, "fold %d/%d  AUC %.4f  KS %.4f  (%,d training rows, %,d holdout)%n",
                        f.fold(), folds, f.auc(), f.ks(), f.trainingRows(), f.holdoutRows());
            }
            stdout.printf(Locale.ROOT, "holdout   AUC %.4f ± %.4f (mean ± sd of %d folds)  KS %.4f (mean)%n",
                    cv.meanAuc(), cv.aucStdDev(), folds, cv.meanKs());

            ScorecardFitter.Fit fit = fitter.fit(rows);
            stdout.printf(Locale.ROOT, "IV table  (all %,d labelled rows; IV threshold %s)%n", rows.length,
                    trim(ivThreshold));
            stdout.printf(Locale.ROOT, "  %4s  %-28s %8s %5s %8s  %s%n", "rank", "attribute", "IV", "bins", "coef",
                    "status");
            List<ScorecardFitter.AttributeReport> byIv = new ArrayList<>(fit.attributes());
            byIv.sort(Comparator.comparingDouble(
                    (ScorecardFitter.AttributeReport r) -> r.binning().informationValue()).reversed());
            int rank = 1;
            for (ScorecardFitter.AttributeReport r : byIv) {
                stdout.printf(Locale.ROOT, "  %4d  %-28s %8.4f %5d %8s  %s%n", rank++, r.binning().feature(),
                        r.binning().informationValue(), r.binning().binCount(),
                        Double.isNaN(r.coefficient()) ? "-" : String.format(Locale.ROOT, "%.3f", r.coefficient()),
                        status(r.status()));
            }

            String yaml = ScorecardYaml.write(fit.scorecard(), header(file, cv, fit, rows.length), notes(fit));
            Files.writeString(out, yaml, StandardCharsets.UTF_8);
            int min = Integer.MAX_VALUE;
            int max = Integer.MIN_VALUE;
            for (int r : rows) {
                int s = fit.scorecard().score(fitter.features(r));
                min = Math.min(min, s);
                max = Math.max(max, s);
            }
            stdout.printf(Locale.ROOT, "wrote     %s: %d attributes, training scores %d..%d, grades %s (below D: E)%n",
                    out, fit.scorecard().attributes().size(), min, max, fit.scorecard().grades());
            return 0;
        }

        private List<String> header(String file, CrossValidation.Result cv, ScorecardFitter.Fit fit, int rows) {
            List<String> header = new ArrayList<>();
            header.add(String.format(Locale.ROOT, "fitted by formica scorecard fit on %s, %s; holdout AUC %.2f "
                    + "(%d-fold), KS %.2f", file, LocalDate.now(), cv.meanAuc(), folds, cv.meanKs()));
            header.add(String.format(Locale.ROOT, "%,d training rows; --bins %d --min-bin-share %s --iv-threshold %s "
                            + "%s --folds %d --seed %d", rows, bins, trim(minBinShare), trim(ivThreshold),
                    monotone ? "--monotone" : "--no-monotone", folds, seed));
            header.add("score = sum of the points of the first matching bin of each attribute; higher = lower risk;");
            header.add("PD = 1 / (1 + base_odds * 2^((score - base_score) / pdo)); grades: quintiles of the training "
                    + "scores");
            for (ScorecardFitter.Status s : List.of(ScorecardFitter.Status.LOW_IV,
                    ScorecardFitter.Status.NON_POSITIVE_COEFFICIENT)) {
                List<String> dropped = new ArrayList<>();
                for (ScorecardFitter.AttributeReport r : fit.attributes()) {
                    if (r.status() == s) {
                        dropped.add(String.format(Locale.ROOT, "%s (IV %.3f)", r.binning().feature(),
                                r.binning().informationValue()));
                    }
                }
                wrap(header, "not in the scorecard, " + status(s).replace("dropped: ", "") + ":", dropped);
            }
            return header;
        }

        /** Adds {@code items} after {@code lead} as comment lines of at most about 110 characters. */
        private static void wrap(List<String> lines, String lead, List<String> items) {
            if (items.isEmpty()) {
                return;
            }
            StringBuilder line = new StringBuilder(lead);
            for (int i = 0; i < items.size(); i++) {
                String item = items.get(i) + (i < items.size() - 1 ? "," : "");
                if (line.length() + 1 + item.length() > 110) {
                    lines.add(line.toString());
                    line = new StringBuilder("  ");
                } else {
                    line.append(' ');
                }
                line.append(item);
            }
            lines.add(line.toString());
        }

        private static ScorecardYaml.Notes notes(ScorecardFitter.Fit fit) {
            List<AttributeBinning> kept = new ArrayList<>();
            Map<String, ScorecardFitter.AttributeReport> byFeature = new HashMap<>();
            for (ScorecardFitter.AttributeReport r : fit.attributes()) {
                byFeature.put(r.binning().feature(), r);
            }
            for (FittedScorecard.Attribute a : fit.scorecard().attributes()) {
                kept.add(byFeature.get(a.feature()).binning());
            }
            return new ScorecardYaml.Notes() {
                @Override
                public String attribute(int a) {
                    AttributeBinning b = kept.get(a);
                    String source = b.source().equals(b.feature()) ? "" : ", ARFF '" + b.source() + "'";
                    return String.format(Locale.ROOT, "IV %.3f, coefficient %.3f%s", b.informationValue(),
                            byFeature.get(b.feature()).coefficient(), source);
                }

                @Override
                public String bin(int a, int bin) {
                    AttributeBinning b = kept.get(a);
                    if (bin >= b.binCount()) {
                        return "a category not seen in training (WoE 0)";
                    }
                    return String.format(Locale.ROOT, "WoE %+.3f, %d good / %d bad", b.woe(bin), b.goods(bin),
                            b.bads(bin));
                }

                @Override
                public String missing(int a) {
                    AttributeBinning b = kept.get(a);
                    return b.missingRows() == 0 ? "no missing values in training (WoE 0)"
                            : String.format(Locale.ROOT, "WoE %+.3f, %d missing in training", b.missingWoe(),
                                    b.missingRows());
                }
            };
        }

        private static String status(ScorecardFitter.Status status) {
            return switch (status) {
                case KEPT -> "kept";
                case LOW_IV -> "dropped: IV below threshold";
                case NON_POSITIVE_COEFFICIENT -> "dropped: coefficient <= 0";
            };
        }

        private static String trim(double value) {
            String s = String.format(Locale.ROOT, "%.6f", value);
            return s.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
    }
}
