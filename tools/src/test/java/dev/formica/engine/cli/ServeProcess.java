package dev.formica.engine.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code formica serve ARGS} in a child JVM with this JVM's flags and class path; every line it prints (stdout and
 * stderr) is kept, and the port comes from its "serving on" line. Waits are on the process and on its output,
 * never on the clock.
 */
final class ServeProcess implements AutoCloseable {
    private static final Pattern PORT = Pattern.compile("formica serving on [^:]+:(\\d+)");

    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final CountDownLatch serving = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile int port = -1;

    private ServeProcess(List<String> serveArgs) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.formica.engine.Formica", "serve"));
        command.addAll(serveArgs);
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread reader = new Thread(this::read, "serve-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the child and waits (at most {@code timeoutSeconds}) until it serves; fails with its output. */
    static ServeProcess start(long timeoutSeconds, String... serveArgs) throws IOException, InterruptedException {
        ServeProcess p = launch(serveArgs);
        p.awaitServing(timeoutSeconds);
        return p;
    }

    /** Starts the child without waiting. */
    static ServeProcess launch(String... serveArgs) throws IOException {
        return new ServeProcess(List.of(serveArgs));
    }

    /** Waits (at most {@code timeoutSeconds}) until the child serves; fails with its output. */
    void awaitServing(long timeoutSeconds) throws InterruptedException {
        if (!serving.await(timeoutSeconds, TimeUnit.SECONDS) || port < 0) {
            close();
            throw new AssertionError("formica serve did not start:\n" + output());
        }
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                synchronized (lines) {
                    lines.add(line);
                }
                Matcher m = PORT.matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                    serving.countDown();
                }
            }
        } catch (IOException ignored) {
            // the stream closes with the process
        } finally {
            serving.countDown();
            ended.countDown();
        }
    }

    int port() {
        return port;
    }

    /** Everything printed so far. */
    String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /**
     * Sends SIGTERM ({@link ProcessHandle#destroy()}: {@link Process#destroy()} would also close our end of the
     * child's output) and waits for the exit and the end of the output; returns the exit code.
     */
    int terminate(long timeoutSeconds) throws InterruptedException {
        if (!process.toHandle().destroy()) {
            throw new AssertionError("SIGTERM not sent");
        }
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            throw new AssertionError("formica serve did not stop on SIGTERM:\n" + output());
        }
        if (!ended.await(timeoutSeconds, TimeUnit.SECONDS)) {
            throw new AssertionError("the output did not end");
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
