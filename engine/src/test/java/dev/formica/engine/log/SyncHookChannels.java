package dev.formica.engine.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Test channels over the real files that run a test's hook just before and just after each real sync of a segment:
 * to hold a sync at a latch, or to record which thread synced which log.
 */
public final class SyncHookChannels {
    /** Something a test does around a sync of {@code file} (the segment), on the syncing thread. */
    @FunctionalInterface
    public interface Hook {
        Hook NONE = file -> { };

        void run(Path file) throws IOException;
    }

    private SyncHookChannels() {
    }

    /** Real segments whose every sync runs {@code before}, the real {@code fdatasync}, then {@code after}. */
    public static LogChannel.Factory around(Hook before, Hook after) {
        return (file, size) -> {
            LogChannel real = LogChannel.FILES.open(file, size);
            return new LogChannel() {
                @Override
                public void append(ByteBuffer src) throws IOException {
                    real.append(src);
                }

                @Override
                public void sync() throws IOException {
                    before.run(file);
                    real.sync();
                    after.run(file);
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
        };
    }
}
