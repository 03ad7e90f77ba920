package dev.formica.loadtest;

/** A trace file line that cannot be read; the message names the file, the line and the field. */
public final class TraceFormatException extends Exception {
    private final long lineNumber;

    public TraceFormatException(String source, long lineNumber, String message) {
        super(source + ":" + lineNumber + ": " + message);
        this.lineNumber = lineNumber;
    }

    /** The 1-based line of the file that failed. */
    public long lineNumber() {
        return lineNumber;
    }
}
