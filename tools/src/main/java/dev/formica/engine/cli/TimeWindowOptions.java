package dev.formica.engine.cli;

import picocli.CommandLine.Option;

/** {@code --from} / {@code --to}: the decisions of a journal window, for the commands that read the journal. */
final class TimeWindowOptions {
    @Option(names = "--from", paramLabel = "MS", defaultValue = "0", description = "first decision time, epoch ms")
    long fromMs;

    @Option(names = "--to", paramLabel = "MS", defaultValue = "9223372036854775807",
            description = "end of the window (exclusive), epoch ms")
    long toMs;

    /** Whether a decision made at {@code timeMs} lies in the window. */
    boolean contains(long timeMs) {
        return timeMs >= fromMs && timeMs < toMs;
    }
}
