package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.UpsertProfileRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python and Node.js clients of {@code clients/} against a live server on loopback (issue 21, contract hygiene):
 * each calls Decide, Confirm and GetCreditLine, then makes a refused call and reads its status and the
 * google.rpc.Status details of the {@code grpc-status-details-bin} trailer. What the client must print about the
 * details is what a Java client reads from the same refusal, so the check follows the server's details as they grow.
 * Each client is skipped (with the reason) where its runtime is not installed; {@code .ci/run} installs both. The
 * Python adversary (issues 19 and 22) runs against a server of its own.
 */
class OtherLanguageClientsTest {
    private static final Path CLIENTS = Path.of("..", "clients").toAbsolutePath().normalize();
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final long LINE_MINOR = 1_000_000;
    private static final long AMOUNT_MINOR = 12_345;

    @TempDir
    Path dir;

    @Test
    void shouldServeThePythonClient() throws Exception {
        Path stubs = pythonStubs();
        session("py-client", borrower -> List.of(PYTHON.toString(), CLIENTS.resolve("python/check.py").toString(),
                "--target", borrower.target, "--borrower", borrower.id, "--stubs", stubs.toString()));
    }

    /**
     * Issues 19 and 22: {@code clients/python/adversary.py}, an outside tester's attack from the {@code .proto} files
     * alone (one request id raced from many connections and the shard ports, ids reused with other bodies and for
     * other calls, bad values in every field, malformed bytes, another borrower's ids, holds and repayments out of
     * order, an expired hold), against a server with the ledger-only rules and a 1 s hold time. Each check compares
     * the status, reason and field with docs/api.md and the borrowers' lines with a model of the accepted calls; the
     * script prints one line per check and exits 1 on any failure. About 6 s.
     */
    @Test
    void shouldWithstandThePythonAdversary() throws Exception {
        Path stubs = pythonStubs();
        EngineConfiguration config = LedgerOnlyRules.apply(new EngineConfiguration().port(0)
                .dataDir(dir.resolve("adversary")).shards(2).holdTtl(Duration.ofSeconds(1)));
        try (EngineServer server = new EngineServer(config).start()) {
            Run adversary = run(List.of(PYTHON.toString(), CLIENTS.resolve("python/adversary.py").toString(),
                    "--target", "127.0.0.1:" + server.port(), "--stubs", stubs.toString(), "--hold-ttl-ms", "1000"),
                    60);
            assertEquals(0, adversary.exit, adversary.output);
            List<String> lines = adversary.output.lines().toList();
            assertTrue(lines.stream().anyMatch(l -> l.matches("\\d+ checks, 0 failed.*")), adversary.output);
            assertTrue(lines.stream().filter(l -> l.startsWith("ok ")).count() > 300, adversary.output);
            assertTrue(lines.contains("ok Confirm of an expired hold: HOLD_EXPIRED"), "the expired hold was tried");
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("ok hold ids: the low 56 bits of 5 consecutive")),
                    "hold ids are not a sequence: " + adversary.output);
        }
    }

    /** The Python stubs (generate.sh), or the test skipped with the reason when Python's gRPC is not installed. */
    private Path pythonStubs() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "no /usr/bin/python3");
        assumeTrue(run(List.of(PYTHON.toString(), "-c", "import grpc, google.protobuf"), 60).exit == 0,
                "Debian's python3-grpcio and python3-protobuf are not installed (apt-get install python3-grpcio "
                        + "python3-protobuf protobuf-compiler-grpc)");
        Path protoc = Path.of(System.getProperty("formica.python.protoc", "missing"));
        assumeTrue(Files.isRegularFile(protoc), "no protoc for the Python stubs at " + protoc);
        protoc.toFile().setExecutable(true);
        Path stubs = dir.resolve("stubs");
        Run generated = run(List.of("bash", CLIENTS.resolve("python/generate.sh").toString(), protoc.toString(),
                googleRpcProtos().toString(), stubs.toString()), 120);
        assumeTrue(generated.exit == 0 || !generated.output.contains("grpc_python_plugin missing"),
                generated.output);
        assertEquals(0, generated.exit, generated.output);
        return stubs;
    }

    @Test
    void shouldServeTheNodeClient() throws Exception {
        assumeTrue(run(List.of("node", "--version"), 60).exit == 0, "node is not installed");
        assumeTrue(Files.isDirectory(CLIENTS.resolve("node/node_modules/@grpc/grpc-js")),
                "clients/node has no node_modules: run npm ci there (.ci/run does)");
        Path rpc = googleRpcProtos();
        session("node-client", borrower -> List.of("node", CLIENTS.resolve("node/check.js").toString(),
                "--target", borrower.target, "--borrower", borrower.id,
                "--protos", Path.of("..", "proto", "src", "main", "proto").toAbsolutePath().normalize().toString(),
                "--protos", rpc.toString()));
    }

    private record Borrower(String target, String id) {
    }

    private interface Command {
        List<String> of(Borrower borrower);
    }

    /** A server with one borrower; the client's session against it; its output against the server's answers. */
    private void session(String borrowerId, Command command) throws Exception {
        EngineConfiguration config = LedgerOnlyRules.apply(new EngineConfiguration().port(0)
                .dataDir(dir.resolve("data")).shards(2));
        try (EngineServer server = new EngineServer(config).start()) {
            String target = "127.0.0.1:" + server.port();
            ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
            try {
                ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).upsert(
                        UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId(borrowerId)
                                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                                        .setLineMinor(LINE_MINOR))).build());
                // what a Java client reads from the refusal the other client will make
                StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () ->
                        DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                                .decide(DecisionRequest.newBuilder().setRequestId("java-refused")
                                        .setBorrowerId(borrowerId).setProduct(Product.CONSUMER_CREDIT)
                                        .setAmountMinor(-AMOUNT_MINOR).setCurrency("CNY").build()));
                List<String> expectedDetails = detailLines(refused);

                Run client = run(command.of(new Borrower(target, borrowerId)), 120);
                assertEquals(0, client.exit, client.output);
                List<String> lines = client.output.lines().filter(l -> !l.isBlank()).toList();
                assertTrue(lines.get(0).matches("decide APPROVE hold=\\S+"), client.output);
                assertEquals("confirm drawn=" + AMOUNT_MINOR, lines.get(1), client.output);
                assertEquals("line drawn=" + AMOUNT_MINOR + " available=" + (LINE_MINOR - AMOUNT_MINOR)
                        + " currency=CNY", lines.get(2), client.output);
                assertEquals("refused INVALID_ARGUMENT " + refused.getStatus().getDescription(), lines.get(3),
                        client.output);
                assertTrue(lines.get(3).contains("amount_minor"), "the message names the field: " + lines.get(3));
                assertEquals(expectedDetails, lines.subList(4, lines.size()), client.output);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** The lines a client prints for the details of {@code e}, as the Java client reads them. */
    private static List<String> detailLines(StatusRuntimeException e) throws InvalidProtocolBufferException {
        io.grpc.Metadata trailers = e.getTrailers();
        if (trailers == null || !trailers.containsKey(io.grpc.Metadata.Key.of("grpc-status-details-bin",
                io.grpc.Metadata.BINARY_BYTE_MARSHALLER))) {
            return List.of("details none (the server sent no google.rpc.Status details)");
        }
        List<String> lines = new ArrayList<>();
        for (Any any : StatusProto.fromThrowable(e).getDetailsList()) {
            if (any.is(ErrorInfo.class)) {
                ErrorInfo info = any.unpack(ErrorInfo.class);
                lines.add("details ErrorInfo reason=" + info.getReason() + " domain=" + info.getDomain());
            } else if (any.is(BadRequest.class)) {
                for (BadRequest.FieldViolation v : any.unpack(BadRequest.class).getFieldViolationsList()) {
                    lines.add("details BadRequest field=" + v.getField());
                }
            } else {
                lines.add("details " + any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1));
            }
        }
        return lines;
    }

    /**
     * google/rpc/status.proto and error_details.proto (the proto-google-common-protos jar) and the well-known types
     * they import (the protobuf-java jar), from the class path.
     */
    private Path googleRpcProtos() throws IOException {
        Path root = dir.resolve("google-rpc");
        for (String name : List.of("google/rpc/status.proto", "google/rpc/error_details.proto",
                "google/protobuf/any.proto", "google/protobuf/duration.proto")) {
            try (InputStream in = getClass().getClassLoader().getResourceAsStream(name)) {
                assertTrue(in != null, name + " on the class path");
                Path file = root.resolve(name);
                Files.createDirectories(file.getParent());
                Files.copy(in, file);
            }
        }
        return root;
    }

    private record Run(int exit, String output) {
    }

    private static Run run(List<String> command, long timeoutSeconds) throws InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Run(-1, command.get(0) + ": " + e.getMessage());
        }
        try {
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Run(-1, "timed out: " + command);
            }
            return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            p.destroyForcibly();
            return new Run(-1, e.getMessage());
        }
    }
}
