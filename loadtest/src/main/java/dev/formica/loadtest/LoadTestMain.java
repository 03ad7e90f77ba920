package dev.formica.loadtest;

import picocli.CommandLine;

/**
 * Runs {@link LoadTestCommand} standalone: {@code java -cp ... dev.formica.loadtest.LoadTestMain --help}.
 * Single-threaded entry point; the only place that calls {@code System.exit}.
 */
public final class LoadTestMain {
    private LoadTestMain() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoadTestCommand()).execute(args));
    }
}
