package dev.formica.engine.crash;

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
 * {@code formica serve} in a child JVM with this JVM's flags and class path, so a test can SIGKILL it. Every
 * line it prints goes to the caller's list; the port comes from its "serving on" line.
 */
final class ChildServer {
    private static final Pattern PORT = Pattern.compile("serving on [^:]+:(\\d+)");

    /** The child process and its port (-1 when it did not say within the timeout). */
    record Started(Process process, int port) {
    }

    private ChildServer() {
    }

    /** Starts {@code formica serve --port=0 ARGS...}, collecting its output into {@code output}. */
    static Started start(List<String> serveArgs, List<String> output, long timeoutSeconds)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent")) {
                command.add(arg);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.formica.engine.Formica");
        command.add("serve");
        command.add("--port=0");
        command.addAll(serveArgs);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        CountDownLatch ready = new CountDownLatch(1);
        int[] port = {-1};
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                    Matcher m = PORT.matcher(line);
                    if (m.find()) {
                        port[0] = Integer.parseInt(m.group(1));
                        ready.countDown();
                    }
                }
            } catch (IOException ignored) {
                // the process was killed: that is the point
            }
            ready.countDown();
        }, "child-server-output");
        reader.setDaemon(true);
        reader.start();
        boolean said = ready.await(timeoutSeconds, TimeUnit.SECONDS);
        return new Started(process, said ? port[0] : -1);
    }
}
