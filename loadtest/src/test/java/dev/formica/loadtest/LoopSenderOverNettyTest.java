package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.formica.v1.DiagnosticsServiceGrpc;
import dev.formica.v1.EchoRequest;
import dev.formica.v1.EchoResponse;
import dev.formica.v1.Outcome;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loop sender end to end, over real channels on its own event loops to an Echo server on loopback: a bounded run
 * (200 calls) ends with every call answered, and each answer is handled on the loop of the lane that sent it.
 */
@Timeout(60)
class LoopSenderOverNettyTest {

    /** Passes each answer on, noting the thread it came on. */
    private record Noting(LoadTarget target, Set<String> threads) implements LoadTarget {
        @Override
        public void send(long index, Completion completion) {
            target.send(index, new Completion() {
                @Override
                public void complete(Status.Code code, Outcome outcome) {
                    threads.add(Thread.currentThread().getName());
                    completion.complete(code, outcome);
                }

                @Override
                public void fail(Status.Code code, String reason) {
                    threads.add(Thread.currentThread().getName());
                    completion.fail(code, reason);
                }
            });
        }

        @Override
        public String name() {
            return target.name();
        }

        @Override
        public void close() {
            target.close();
        }
    }

    @Test
    void shouldAnswerEveryCallOfABoundedRunOnTheLoopOfItsLane() throws Exception {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                InsecureServerCredentials.create()).addService(new DiagnosticsServiceGrpc.DiagnosticsServiceImplBase() {
                    @Override
                    public void echo(EchoRequest request, StreamObserver<EchoResponse> answer) {
                        answer.onNext(EchoResponse.newBuilder().setPayload(request.getPayload()).build());
                        answer.onCompleted();
                    }
                }).build().start();
        String target = InetAddress.getLoopbackAddress().getHostAddress() + ":" + server.getPort();
        try (LoadChannels open = LoadChannels.open(target, "127.0.0.1", false, 2, 2)) {
            List<Set<String>> threads = new ArrayList<>();
            List<LoadTarget> targets = new ArrayList<>();
            RequestFactory requests = new RequestFactory("t", 1, new ZipfSampler(10, 1.0), 0, null);
            for (List<ManagedChannel> channels : open.channels()) {
                Set<String> answeredOn = ConcurrentHashMap.newKeySet();
                threads.add(answeredOn);
                targets.add(new Noting(new GrpcLoadTarget(GrpcLoadTarget.Rpc.ECHO, false, channels, requests,
                        TimeUnit.SECONDS.toNanos(10), 16, 0, 0).stride(2), answeredOn));
            }
            OpenLoopRunner runner = new OpenLoopRunner("echo", "constant 2000/s", RateProfile.constant(2000), 0,
                    TimeUnit.MILLISECONDS.toNanos(100), 200, 2, 10, TimeUnit.SECONDS.toNanos(20), LoadClock.SYSTEM,
                    targets.get(0), Map::of);

            RunResult r = runner.run(open.loops(), targets, null, null);

            assertEquals(200, r.sent());
            assertEquals(200, r.completed());
            assertEquals(Map.of("OK", 200L), r.statusCounts());
            assertEquals(List.of(Set.of("loadtest-loop-0"), Set.of("loadtest-loop-1")), threads,
                    "each lane's answers on its own loop");
        } finally {
            server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
