package dev.formica.engine.cli;

import dev.formica.v1.AdminServiceGrpc;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/**
 * How an admin command reaches a server's {@code AdminService}: the target, TLS or mutual TLS, and the admin
 * bearer token. A picocli mixin shared by {@code latency}, {@code rules publish|activate|shadow|list},
 * {@code appetite} and {@code blocklist}, so every admin command takes the same options.
 *
 * <p>The token, first found of: {@code --token}, {@code --token-file} (owner-only), {@code $FORMICA_ADMIN_TOKEN},
 * and the local operator's {@code DATA_DIR/admin.token} that {@code formica serve} made (so on the server's
 * machine, as its user, nothing needs to be given). A token is sent in clear only to a loopback target; elsewhere
 * give {@code --tls} / {@code --tls-ca}, or authenticate by client certificate ({@code --tls-cert},
 * {@code --tls-key}) alone.
 *
 * <p>Thread contract: filled by picocli, then used on the command's thread.
 */
public final class AdminConnection {
    static final String TOKEN_ENV = "FORMICA_ADMIN_TOKEN";
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /** How long one call may take. */
    private static final long CALL_DEADLINE_S = 10;

    @Option(names = "--target", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:50051",
            description = "Server host:port (default ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Admin bearer token (visible to other users in"
            + " the process list: prefer --token-file or $" + TOKEN_ENV + ").")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Owner-only file whose first line that is"
            + " not a # comment is the admin bearer token.")
    Path tokenFile;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data", description = "Data directory of a "
            + "server on this machine, whose admin.token is used when no token is given (default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--tls", description = "TLS, trusting the JVM's CA certificates.")
    boolean tls;

    @Option(names = "--tls-ca", paramLabel = "PEM", description = "TLS, trusting only this CA certificate.")
    Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Client certificate chain for mutual TLS"
            + " (with --tls-key): an admin identity needs no token.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Client private key (PKCS#8) for mutual TLS.")
    Path tlsKey;

    @Option(names = "--redirect-port", paramLabel = "PORT", description = "When a refusal names another node (a"
            + " group's leader), dial that node's host at this port instead of the client address the refusal"
            + " gives: the nodes' adminPort (mutual TLS), for admin from outside a cluster whose client ports are"
            + " plaintext.")
    Integer redirectPort;

    /** Where the token came from, for messages; null until {@link #bearerToken()} found one. */
    private String tokenSource;

    /** The token to send, or null: none given and none in the data directory. */
    String bearerToken() {
        if (token != null && !token.isBlank()) {
            tokenSource = "--token";
            return token.strip();
        }
        if (tokenFile != null) {
            tokenSource = "--token-file " + tokenFile;
            return readTokenFile(tokenFile);
        }
        String env = System.getenv(TOKEN_ENV);
        if (env != null && !env.isBlank()) {
            tokenSource = "$" + TOKEN_ENV;
            return env.strip();
        }
        try {
            String local = LocalAdminToken.read(dataDir);
            if (local != null) {
                tokenSource = dataDir.resolve(LocalAdminToken.FILE).toString();
            }
            return local;
        } catch (IOException e) {
            throw new CommandErrors.UsageException("cannot read the admin token in " + dataDir + ": " + e.getMessage(),
                    e);
        }
    }

    /** Where the token in use came from (after {@link #bearerToken()}), or "no token". */
    String tokenSource() {
        return tokenSource == null ? "no token" : tokenSource;
    }

    private static String readTokenFile(Path file) {
        try {
            if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
                if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                    throw new CommandErrors.UsageException("--token-file " + file + ": group or others may read it;"
                            + " chmod 600 " + file);
                }
            }
            for (String line : Files.readAllLines(file)) {
                String t = line.strip();
                if (!t.isEmpty() && !t.startsWith("#")) {
                    return t;
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CommandErrors.UsageException("--token-file " + file + ": no such file", e);
        } catch (IOException e) {
            throw new CommandErrors.UsageException("--token-file " + file + ": " + e.getMessage(), e);
        }
        throw new CommandErrors.UsageException("--token-file " + file + ": holds no token");
    }

    /**
     * The target to dial for a node that a refusal names at {@code address} (host:port, as the partition map gives
     * it): {@code address} itself, or its host at {@code --redirect-port}.
     */
    String redirect(String address) {
        if (redirectPort == null) {
            return address;
        }
        int colon = address.lastIndexOf(':');
        String host = colon > 0 && address.indexOf(']') < colon ? address.substring(0, colon) : address;
        return host + ":" + redirectPort;
    }

    private boolean usesTls() {
        return tls || tlsCa != null || tlsCert != null || tlsKey != null;
    }

    /** A channel to the target, TLS as asked. */
    ManagedChannel channel() {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new CommandErrors.UsageException("--tls-cert and --tls-key go together (mutual TLS)");
        }
        ChannelCredentials credentials = InsecureChannelCredentials.create();
        if (usesTls()) {
            try {
                TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
                if (tlsCa != null) {
                    b.trustManager(tlsCa.toFile());
                }
                if (tlsCert != null) {
                    b.keyManager(tlsCert.toFile(), tlsKey.toFile());
                }
                credentials = b.build();
            } catch (IOException e) {
                throw new CommandErrors.UsageException("cannot read the TLS files: " + e.getMessage(), e);
            }
        }
        return Grpc.newChannelBuilder(target, credentials).build();
    }

    /** The AdminService stub with the token attached, if any; refuses to send a token in clear off this host. */
    AdminServiceGrpc.AdminServiceBlockingStub stub(ManagedChannel channel) {
        return withToken(AdminServiceGrpc.newBlockingStub(channel));
    }

    /** {@code stub} with the token attached, if any; refuses to send a token in clear off this host. */
    <S extends AbstractStub<S>> S withToken(S stub) {
        String bearer = bearerToken();
        if (bearer == null) {
            return stub;
        }
        if (!usesTls() && !loopback(target)) {
            throw new CommandErrors.UsageException("refusing to send the admin token in clear to " + target
                    + ": give --tls or --tls-ca (or run on the server's machine)");
        }
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + bearer);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /**
     * One admin call: a channel to the target, the stub with the token and a deadline, the channel closed after
     * (commands that make several calls on one channel use {@link #channel}, {@link #stub} and {@link #deadline}).
     */
    <T> T call(java.util.function.Function<AdminServiceGrpc.AdminServiceBlockingStub, T> rpc) {
        return call(AdminServiceGrpc::newBlockingStub, rpc);
    }

    /**
     * One call on any of the server's services ({@code newStub}, e.g. {@code DecisionServiceGrpc::newBlockingStub}),
     * made as {@link #call(java.util.function.Function)} makes an admin call: the token, if any, the deadline, and
     * the channel closed after.
     */
    <S extends AbstractStub<S>, T> T call(java.util.function.Function<Channel, S> newStub,
            java.util.function.Function<S, T> rpc) {
        ManagedChannel channel = channel();
        try {
            return rpc.apply(withToken(newStub.apply(channel)).withDeadlineAfter(CALL_DEADLINE_S, TimeUnit.SECONDS));
        } finally {
            close(channel);
        }
    }

    /** The stub with a deadline for one call. */
    static AdminServiceGrpc.AdminServiceBlockingStub deadline(AdminServiceGrpc.AdminServiceBlockingStub stub) {
        return stub.withDeadlineAfter(CALL_DEADLINE_S, TimeUnit.SECONDS);
    }

    /** Whether {@code target} (host:port, [v6]:port or a dns:/// URI) names this machine. */
    static boolean loopback(String target) {
        String host = target;
        int scheme = host.indexOf(":///");
        if (scheme >= 0) {
            host = host.substring(scheme + 4);
        }
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            host = end > 0 ? host.substring(1, end) : host;
        } else if (host.lastIndexOf(':') > 0 && host.indexOf(':') == host.lastIndexOf(':')) {
            host = host.substring(0, host.lastIndexOf(':'));
        }
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            // literal addresses only: no name is looked up
            return isLiteral(host) && InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static boolean isLiteral(String host) {
        return host.contains(":") ? host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')
                : host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    }

    /** Closes {@code channel} at once and waits a little for it. */
    static void close(ManagedChannel channel) {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
