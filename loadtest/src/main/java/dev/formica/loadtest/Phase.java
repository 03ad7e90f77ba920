package dev.formica.loadtest;

import java.time.Duration;
import picocli.CommandLine;

/**
 * One run of a sequence of constant-rate runs in one load-tool JVM ({@code --phase}): for example a warm-up at the
 * planned rate, then twice saturation, then half of it. Why one JVM: a load tool started afresh for the overload
 * compiled its own code while it was meant to keep the overload's timetable (its C2 compiler took a quarter of its
 * CPU through the whole 20 s of a 2x run, 2026-12-07-load-tool-at-overload.md), and its own lag was then measured as
 * the server's latency. Each phase is reported as a run of its own, named by {@code name}, with its own request ids.
 *
 * @param name the run's name in reports and request ids: letters, digits, '-' and '_'
 * @param rate constant requests per second
 * @param duration measured part, after the warm-up
 * @param warmup sent at {@code rate} before the measured part, not measured
 */
record Phase(String name, double rate, Duration duration, Duration warmup) {
    /** Parses {@code NAME:RATE:DURATION[:WARMUP]} ({@code over:8000:20s:2s}); the warm-up is 0 when left out. */
    static final class Converter implements CommandLine.ITypeConverter<Phase> {
        @Override
        public Phase convert(String value) {
            String[] p = value.strip().split(":");
            if (p.length < 3 || p.length > 4 || !p[0].matches("[A-Za-z0-9_-]+")) {
                throw new CommandLine.TypeConversionException("'" + value + "': expected NAME:RATE:DURATION[:WARMUP], "
                        + "e.g. over:8000:20s:2s (NAME of letters, digits, - and _)");
            }
            double rate;
            try {
                rate = Double.parseDouble(p[1]);
            } catch (NumberFormatException e) {
                rate = Double.NaN;
            }
            if (!(rate > 0 && rate <= 1_000_000)) {
                throw new CommandLine.TypeConversionException("'" + value + "': the rate must be in (0, 1000000]/s");
            }
            DurationConverter durations = new DurationConverter();
            Duration duration = durations.convert(p[2]);
            Duration warmup = p.length == 4 ? durations.convert(p[3]) : Duration.ZERO;
            if (duration.isZero() || duration.isNegative() || duration.compareTo(LoadTestCommand.MAX_DURATION) > 0
                    || warmup.isNegative() || warmup.compareTo(LoadTestCommand.MAX_DURATION) > 0) {
                throw new CommandLine.TypeConversionException("'" + value + "': the duration must be > 0 and the "
                        + "warm-up >= 0, each at most 10m");
            }
            return new Phase(p[0], rate, duration, warmup);
        }
    }
}
