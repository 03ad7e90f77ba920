package dev.formica.loadtest;

import picocli.CommandLine;

/** Parses a share as 0..1 or as a percentage (e.g. 1%). */
public final class ShareConverter implements CommandLine.ITypeConverter<Double> {
    @Override
    public Double convert(String value) {
        String v = value.strip();
        double share = v.endsWith("%") ? Double.parseDouble(v.substring(0, v.length() - 1)) / 100
                : Double.parseDouble(v);
        if (!(share >= 0 && share <= 1)) {
            throw new CommandLine.TypeConversionException("'" + value + "': expected a share 0..1 or 0%..100%");
        }
        return share;
    }
}
