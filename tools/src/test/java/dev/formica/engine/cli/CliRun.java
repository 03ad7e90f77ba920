package dev.formica.engine.cli;

import dev.formica.engine.Formica;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * What one {@code formica} command printed and returned, run in this JVM with its standard output and error
 * captured: the admin-command tests' way to call the CLI as an operator would.
 */
record CliRun(int exit, String out, String err) {

    /** Everything, for assertion messages. */
    String all() {
        return "exit " + exit + "\n" + out + err;
    }

    /** Runs {@code formica args...}; not thread-safe (it swaps System.out and System.err for the call). */
    static CliRun of(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            return new CliRun(Formica.run(args), o.toString(StandardCharsets.UTF_8),
                    e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
