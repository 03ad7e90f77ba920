package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.PartitionMap;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --phase}: the runs one after the other in one JVM against a real server, each its own timetable and ids. */
class PhasesTest {
    /** This module's test port (the range 22100-22149 is the load tool's). */
    private static final int PORT = 22101;

    /** Declines every Decide and counts them by phase (the request id's part before the index). */
    private static final class Counting extends DecisionServiceGrpc.DecisionServiceImplBase {
        final Map<String, LongAdder> byPhase = new ConcurrentHashMap<>();
        final Map<String, Boolean> ids = new ConcurrentHashMap<>();

        @Override
        public void decide(DecisionRequest request, StreamObserver<DecisionResponse> answer) {
            String id = request.getRequestId();
            ids.put(id, Boolean.TRUE);
            String run = id.substring(0, id.lastIndexOf('-'));
            byPhase.computeIfAbsent(run.substring(run.lastIndexOf('-') + 1), k -> new LongAdder()).increment();
            answer.onNext(DecisionResponse.newBuilder().setRequestId(id).setOutcome(Outcome.DECLINE).build());
            answer.onCompleted();
        }

        @Override
        public void getPartitionMap(GetPartitionMapRequest request, StreamObserver<PartitionMap> answer) {
            answer.onNext(PartitionMap.getDefaultInstance()); // no shard ports: the load goes to --channels
            answer.onCompleted();
        }
    }

    private Server server;

    @AfterEach
    void stop() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void eachPhaseSendsItsOwnTimetableWithIdsOfItsOwnAndIsReportedAsARun(@TempDir Path dir) throws Exception {
        Counting service = new Counting();
        server = Grpc.newServerBuilderForPort(PORT, InsecureServerCredentials.create()).addService(service).build()
                .start();
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new LoadTestCommand());
        cl.setOut(new PrintWriter(out));
        int code = cl.execute("--target", "127.0.0.1:" + PORT, "--borrowers", "100", "--run-id", "t",
                "--phase", "first:200:500ms:250ms", "--phase", "second:100:1s", "--report-dir", dir.toString());
        assertEquals(0, code, out.toString());
        // every request of each timetable, warm-up included, was sent once: 200/s for 0.75 s, then 100/s for 1 s
        assertEquals(150, service.byPhase.get("first").sum());
        assertEquals(100, service.byPhase.get("second").sum());
        assertEquals(250, service.ids.size());
        String report = out.toString();
        assertTrue(report.indexOf("phase first:") < report.indexOf("phase second:"), report);
        assertTrue(report.matches("(?s).*\\n +first +second\\n.*"), report);
        assertTrue(report.matches("(?s).*\\nsent +100 +100\\n.*"), report); // the measured parts
    }
}
