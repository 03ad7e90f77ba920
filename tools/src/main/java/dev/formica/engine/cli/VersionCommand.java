package dev.formica.engine.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code formica version}: the engine version, Java runtime and gRPC version. */
@Command(name = "version", description = "Print the version of Formica and its runtime.")
public final class VersionCommand implements Runnable {
    /** The engine version from the build. */
    public static String version() {
        try (InputStream in = VersionCommand.class.getResourceAsStream("/dev/formica/engine/version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String[] lines() {
        return new String[] {
            "formica " + version(),
            "java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")",
            "grpc-java " + io.grpc.internal.GrpcUtil.IMPLEMENTATION_VERSION
        };
    }

    @Override
    public void run() {
        for (String line : lines()) {
            System.out.println(line);
        }
    }

    /** Supplies {@code --version}. */
    public static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return lines();
        }
    }
}
