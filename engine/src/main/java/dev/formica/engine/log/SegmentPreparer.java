package dev.formica.engine.log;

import dev.formica.engine.files.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the log writer's next segments ahead of time, in {@code fsync} mode: a file of zeros, written and synced
 * whole before the writer puts a frame in it. Writing into blocks that are already written and a file whose size
 * does not change lets {@code fdatasync} flush the data only; appending to a growing file makes every
 * {@code fdatasync} also commit the file's new size through the ext4 journal, which waits for whatever else the
 * running journal transaction holds (other files' metadata and, in {@code data=ordered} mode, their data).
 *
 * <p>A file is zeroed under {@value #ZEROING} in the shard's log directory and renamed to {@value #READY} once it
 * is whole and synced, so a process killed while zeroing leaves only a {@value #ZEROING} file, which the next
 * request deletes and starts again; a {@value #READY} file left by a previous process is used as it is. Neither
 * name ends with {@code .log}: readers never see them as segments. The zeros are written in small synced chunks
 * with a pause after each (at most {@link #BYTES_PER_SECOND} bytes a second), so that the live segment's
 * {@code fdatasync} never queues behind a large write-back.
 *
 * <p>Thread contract: {@link #request} from the log writer thread; the files are written on this class's own
 * (low-priority, daemon) thread, which calls the request's callback when its file is ready.
 */
final class SegmentPreparer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentPreparer.class);
    static final String ZEROING = "next-segment.zeroing";
    static final String READY = "next-segment.zeros";
    private static final int CHUNK = 256 << 10;
    /** The zeroing rate: a 256 MiB segment in 8 s, a chunk every 8 ms. */
    static final long BYTES_PER_SECOND = 32L << 20;

    private record Request(Path directory, Consumer<Path> ready) {
    }

    private final long bytes;
    private final LinkedBlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private final ByteBuffer zeros = ByteBuffer.allocateDirect(CHUNK);
    private volatile boolean running = true;
    private final Thread thread;

    /** Prepares files of {@code bytes} each. */
    SegmentPreparer(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("a preallocated segment needs bytes: " + bytes);
        }
        this.bytes = bytes;
        this.thread = new Thread(this::run, "formica-log-prepare");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
        thread.start();
    }

    /** Asks for a zero-filled file in {@code directory}; {@code ready} gets its path (on this class's thread). */
    void request(Path directory, Consumer<Path> ready) {
        requests.add(new Request(directory, ready));
    }

    private void run() {
        while (running) {
            Request r;
            try {
                r = requests.take();
            } catch (InterruptedException e) {
                continue; // close() wakes the thread this way; running says whether to go on
            }
            try {
                Path file = prepare(r.directory());
                if (file != null) {
                    r.ready().accept(file);
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    // not fatal: the writer goes on appending to a growing segment, as without preallocation
                    LOG.warn("could not preallocate the next log segment in " + r.directory(), e);
                } else {
                    // close() interrupted the zeroing (the channel closed under it): no half file stays behind
                    try {
                        Files.deleteIfExists(r.directory().resolve(ZEROING));
                    } catch (IOException ignored) {
                        // the next request deletes it
                    }
                }
            }
        }
    }

    /** The directory's ready file, zeroed now unless a previous process left one; null when stopped meanwhile. */
    Path prepare(Path dir) throws IOException {
        Path ready = dir.resolve(READY);
        if (Files.isRegularFile(ready) && Files.size(ready) > 0) {
            return ready;
        }
        Path zeroing = dir.resolve(ZEROING);
        Files.deleteIfExists(zeroing);
        OwnerOnly.file(zeroing);
        long pauseNanos = TimeUnit.SECONDS.toNanos(1) * Math.min(CHUNK, bytes) / BYTES_PER_SECOND;
        try (FileChannel ch = FileChannel.open(zeroing, StandardOpenOption.WRITE)) {
            for (long at = 0; at < bytes; at += CHUNK) {
                if (!running) {
                    break;
                }
                zeros.clear().limit((int) Math.min(CHUNK, bytes - at));
                while (zeros.hasRemaining()) {
                    ch.write(zeros, at + zeros.position());
                }
                ch.force(false);
                LockSupport.parkNanos(pauseNanos); // rate limit, not synchronisation
            }
            if (!running) {
                ch.close();
                Files.deleteIfExists(zeroing);
                return null;
            }
            ch.force(true);
        }
        Files.move(zeroing, ready, StandardCopyOption.ATOMIC_MOVE);
        return ready;
    }

    /** Stops the thread (a file being zeroed is deleted; a ready one stays for the next process). */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
