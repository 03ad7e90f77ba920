package dev.formica.engine.state;

/**
 * Receives holds from {@link HoldBook#forEach}. Called on the iterating thread while Chronicle holds the
 * segment's lock: do not call back into the book; the snapshot is reused, copy what must outlive the call.
 */
@FunctionalInterface
public interface HoldVisitor {

    void visit(long holdId, HoldSnapshot hold);
}
