package dev.formica.engine.cli;

import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * The java.util.logging manager of the {@code formica} process (SLF4J, and so Chronicle, log through it too).
 *
 * <p>The JDK's own shutdown hook resets logging, closing and removing every handler, while the process's other
 * hooks run beside it: after SIGTERM, what {@code formica serve} logged while draining (the drain warning,
 * "formica stopped") was lost. Once a command has asked for it ({@link #deferResetUntilShutdownComplete()},
 * {@code serve} does), this manager ignores a reset asked for while the JVM is shutting down, so the handlers
 * stay open while the hooks log; the hook that stops the server calls {@link #shutdownComplete()} last,
 * which flushes and closes them (a {@code FileHandler} then removes its lock file). A reset asked for while the
 * process runs ({@code readConfiguration}) works as usual.
 *
 * <p>Installed by {@link Installer#install()} from {@code Formica}'s static initialiser, before anything logs:
 * the JDK reads the {@code java.util.logging.manager} property once, when logging starts. A {@code
 * -Djava.util.logging.manager} given on the command line wins.
 *
 * <p>Thread contract: any thread; the JDK calls {@link #reset()} from its shutdown hook's thread.
 */
public final class ShutdownSafeLogManager extends LogManager {
    static final String PROPERTY = "java.util.logging.manager";
    /** Set by a command that logs from a shutdown hook and calls {@link #shutdownComplete()} at its end. */
    private static volatile boolean deferred;

    /** Public and without arguments: the JDK instantiates the class named by the property. */
    public ShutdownSafeLogManager() {
    }

    /**
     * Names this class as the process's log manager (unless one is named already) and starts logging. A static
     * method of a nested class: calling one of this class would initialise java.util.logging (the superclass)
     * before the property is set.
     */
    public static final class Installer {
        private Installer() {
        }

        public static void install() {
            if (System.getProperty(PROPERTY) == null) {
                System.setProperty(PROPERTY, "dev.formica.engine.cli.ShutdownSafeLogManager");
            }
            // Create the root handlers now: once the JDK's hook has marked logging shut down, it creates none.
            Logger.getLogger("").getHandlers();
        }
    }

    /**
     * From now on a reset during shutdown waits for {@link #shutdownComplete()}: call before adding the shutdown hook
     * that logs and then calls it. Other commands keep the JDK's reset at exit (closing, e.g., a FileHandler's lock).
     */
    public static void deferResetUntilShutdownComplete() {
        deferred = true;
    }

    @Override
    public void reset() {
        if (deferred && shuttingDown()) {
            return; // deferred to shutdownComplete(): the other shutdown hooks may still log
        }
        super.reset();
    }

    /**
     * Flushes and closes every handler: for the end of the last shutdown hook that logs. Anything logged after it
     * is lost, as it always was once the JDK had reset logging.
     */
    public static void shutdownComplete() {
        LogManager manager = LogManager.getLogManager();
        if (manager instanceof ShutdownSafeLogManager safe) {
            safe.resetNow();
        } else {
            for (Handler h : Logger.getLogger("").getHandlers()) {
                h.flush();
            }
        }
    }

    private void resetNow() {
        super.reset();
    }

    /** True once the JVM has begun to shut down (no more shutdown hooks can be added). */
    static boolean shuttingDown() {
        Thread probe = new Thread(() -> { }, "formica-shutdown-probe");
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }
}
