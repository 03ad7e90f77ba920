package dev.formica.engine.state;

/**
 * Receives holds from {@link HoldBook#forEach}, on the iterating thread. Do not call back into the book; the
 * snapshot is a copy, reused for the next hold: copy what must outlive the call.
 */
@FunctionalInterface
public interface HoldVisitor {

    void visit(long holdId, HoldSnapshot hold);
}
