package dev.formica.engine.logging;

import ch.qos.logback.classic.LoggerContext;
import java.io.Console;
import java.util.Locale;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * How the process's log lines look: {@link #JSON} lines (one object per line, logstash-logback-encoder) for log
 * pipelines, {@link #TEXT} lines for people, or {@link #AUTO}: text on a terminal, JSON otherwise. Logback writes
 * both to stderr (the {@code logback.xml} in the engine's jar; {@link LogFormatFilter} lets through only the
 * active one); stdout keeps the commands' own output.
 *
 * <p>The format in force at start comes from the system property {@code formica.logFormat}, else the environment
 * variable {@code FORMICA_LOG_FORMAT}, else {@code auto}; {@code formica serve} then applies its {@code logFormat}
 * setting ({@link #use}), which reads the same variable and the settings file.
 *
 * <p>Thread contract: any thread; the active format is a volatile read per log event.
 */
public enum LogFormat {
    /** Text on a terminal, JSON otherwise. */
    AUTO,
    /** One JSON object per line. */
    JSON,
    /** {@code 2026-12-05T14:01:02.345 INFO  logger - message}. */
    TEXT;

    /** The system property that sets the format before any setting is read. */
    public static final String PROPERTY = "formica.logFormat";
    /** The environment variable of the {@code logFormat} setting. */
    public static final String VARIABLE = "FORMICA_LOG_FORMAT";

    private static volatile LogFormat active = initial();

    /** Parses {@code auto}, {@code json} or {@code text} (any case). */
    public static LogFormat parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("log format must be auto, json or text, was '" + text + "'", e);
        }
    }

    private static LogFormat initial() {
        String chosen = System.getProperty(PROPERTY);
        if (chosen == null) {
            chosen = System.getenv(VARIABLE);
        }
        try {
            return chosen == null || chosen.isBlank() ? resolve(AUTO, terminal()) : resolve(parse(chosen), terminal());
        } catch (IllegalArgumentException e) {
            // the setting's own check (formica serve) reports it; lines written before that are JSON
            return JSON;
        }
    }

    /** {@code format}, with {@link #AUTO} made {@link #TEXT} on a terminal and {@link #JSON} otherwise. */
    static LogFormat resolve(LogFormat format, boolean terminal) {
        if (format != AUTO) {
            return format;
        }
        return terminal ? TEXT : JSON;
    }

    /**
     * Whether the process writes to a terminal: {@link System#console()} (on Java 22 and later, where a console
     * exists when redirected too, also {@code Console.isTerminal()}).
     */
    static boolean terminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // Java 17 to 21: a console exists only on a terminal
        }
    }

    /** The format log lines are written in now: {@link #JSON} or {@link #TEXT}, never {@link #AUTO}. */
    public static LogFormat active() {
        return active;
    }

    /** From now on, log lines are written in {@code format} ({@link #AUTO}: decided by the terminal). */
    public static void use(LogFormat format) {
        active = resolve(format, terminal());
    }

    /**
     * Routes java.util.logging (gRPC's and the JDK's loggers) into SLF4J, so their lines take the same format;
     * {@code logback.xml}'s {@code LevelChangePropagator} keeps disabled levels cheap. Idempotent.
     */
    public static void bridgeJavaUtilLogging() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    /**
     * Flushes and stops Logback: for the end of the last shutdown hook that logs (Logback's own shutdown hook is
     * not installed, so the lines of the drain and "formica stopped" are written before this). Lines logged after
     * it are dropped.
     */
    public static void shutdown() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (factory instanceof LoggerContext context) {
            context.stop();
        }
    }
}
