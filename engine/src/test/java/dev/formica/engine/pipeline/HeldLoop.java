package dev.formica.engine.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/** An event loop stand-in for tests: keeps the tasks it is given until the test runs them. */
final class HeldLoop implements Executor {
    final List<Runnable> tasks = new ArrayList<>();

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
    }

    /** Runs the tasks held now (not those they add). */
    void runAll() {
        List<Runnable> now = new ArrayList<>(tasks);
        tasks.clear();
        now.forEach(Runnable::run);
    }
}
