package dev.formica.engine.journal;

/**
 * The layout of an audit record inside a shard-log frame ({@code StateOps.AUDIT}): an 8-byte header (the
 * record's length, its type), then the body that {@link JournalFrameEncoder} writes. A layout record names the
 * feature slots of a rule set; a decision frame refers to the layout by its id.
 */
final class JournalSegments {
    static final int FRAME_HEADER_BYTES = 8;
    static final int TYPE_LAYOUT = 1;
    static final int TYPE_DECISION = 2;

    private JournalSegments() {
    }
}
