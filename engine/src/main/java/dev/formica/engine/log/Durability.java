package dev.formica.engine.log;

/**
 * When an answer may leave the engine, relative to its frame in the shard log.
 *
 * <ul>
 *   <li>{@link #FSYNC}: after the frame is on the disk ({@code fdatasync} by the log writer; many frames share one
 *       sync). Survives {@code kill -9}, an OS crash and a power cut.</li>
 *   <li>{@link #PROCESS}: after the frame was handed to the kernel ({@code write}). Survives {@code kill -9}; an OS
 *       crash or power cut loses what the kernel had not written back (typically the last seconds).</li>
 * </ul>
 */
public enum Durability {
    FSYNC,
    PROCESS;

    /** Parses {@code fsync} or {@code process}, any case. */
    public static Durability parse(String text) {
        for (Durability d : values()) {
            if (d.name().equalsIgnoreCase(text.trim())) {
                return d;
            }
        }
        throw new IllegalArgumentException("durability must be fsync or process, was " + text);
    }
}
