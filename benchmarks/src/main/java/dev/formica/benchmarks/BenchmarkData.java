package dev.formica.benchmarks;

import dev.formica.engine.errors.Refused;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.pipeline.Sink;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Inputs and clean-up shared by the decision benchmarks, prepared outside the measured code.
 *
 * <p>Thread contract: stateless.
 */
public final class BenchmarkData {
    private BenchmarkData() {
    }

    /**
     * {@code n} decisions with unique request ids over borrowers {@code b0..b(borrowers-1)}, skewed so a
     * few borrowers are hot (index = borrowers × u³), amounts 1.00–501.00 CNY.
     */
    public static DecisionRequest[] zipfDecisions(int n, int borrowers, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        DecisionRequest[] requests = new DecisionRequest[n];
        for (int i = 0; i < n; i++) {
            int borrower = (int) (borrowers * Math.pow(random.nextDouble(), 3));
            requests[i] = DecisionRequest.newBuilder().setRequestId("bench-" + i).setBorrowerId("b" + borrower)
                    .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(100 + random.nextInt(50_000)).build();
        }
        return requests;
    }

    /** Gives borrowers {@code b0..b(borrowers-1)} a consumer line of 10 billion CNY, in batches. */
    public static void upsertBorrowers(DecisionPipeline pipeline, int borrowers) {
        List<CompletableFuture<Boolean>> batch = new ArrayList<>();
        for (int b = 0; b < borrowers; b++) {
            CompletableFuture<Boolean> done = new CompletableFuture<>();
            batch.add(done);
            pipeline.upsert(Profile.newBuilder().setBorrowerId("b" + b).addLines(ProductLine.newBuilder()
                    .setProduct(Product.CONSUMER_CREDIT).setLineMinor(1_000_000_000_000L)).build(), new Sink<>() {
                        @Override
                        public void onResult(Boolean created) {
                            done.complete(created);
                        }

                        @Override
                        public void onError(Refused error) {
                            done.completeExceptionally(error);
                        }
                    }, null);
            if (batch.size() == 2048) {
                batch.forEach(CompletableFuture::join);
                batch.clear();
            }
        }
        batch.forEach(CompletableFuture::join);
    }

    /** Deletes a benchmark's temporary data directory. */
    public static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
