package dev.formica.loadtest;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** Parses 500ms, 20s, 1m, 1h, 250us, or ISO-8601 (PT20S). */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        if (v.startsWith("pt") || v.startsWith("p")) {
            return Duration.parse(value.strip().toUpperCase(Locale.ROOT));
        }
        String[][] units = {{"ms", "1000000"}, {"us", "1000"}, {"ns", "1"}, {"s", "1000000000"},
            {"m", "60000000000"}, {"h", "3600000000000"}};
        for (String[] u : units) {
            if (v.endsWith(u[0])) {
                double n = Double.parseDouble(v.substring(0, v.length() - u[0].length()).strip());
                return Duration.ofNanos(Math.round(n * Long.parseLong(u[1])));
            }
        }
        throw new CommandLine.TypeConversionException("'" + value + "': expected a duration such as 500ms, "
                + "20s, 2m");
    }
}
