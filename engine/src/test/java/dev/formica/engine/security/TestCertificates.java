package dev.formica.engine.security;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made at test time (never committed): a CA, a server certificate for 127.0.0.1 /
 * localhost, and client certificates with chosen subjects, written as PEM files (keys PKCS#8,
 * owner-only). EC P-256 keys: quick to generate.
 *
 * <p>Thread contract: one instance per test, used on the test thread.
 */
public final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());
    private final Path dir;
    private final String caName;
    private final KeyPair caKeys;
    private final X509Certificate caCert;

    /** A PEM certificate file and its PEM key file. */
    public record Pem(Path cert, Path key) {
    }

    public TestCertificates(Path dir, String caName) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.caName = caName;
        this.caKeys = keys();
        X500Name name = name("CN=" + caName + ",O=Formica Test");
        JcaX509v3CertificateBuilder b = builder(name, name, caKeys);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        this.caCert = sign(b, caKeys.getPrivate());
    }

    /** The CA certificate as a PEM file. */
    public Path caFile() throws IOException {
        Path file = dir.resolve(caName + "-ca.pem");
        if (Files.notExists(file)) {
            Files.writeString(file, pem(caCert));
        }
        return file;
    }

    /** A server certificate for 127.0.0.1 and localhost, signed by this CA. */
    public Pem server(String fileName) throws Exception {
        KeyPair keys = keys();
        JcaX509v3CertificateBuilder b = builder(issuer(), name("CN=localhost,O=Formica Test"), keys);
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        return write(fileName, sign(b, caKeys.getPrivate()), keys.getPrivate());
    }

    /**
     * A cluster node's certificate: {@code subject}, for 127.0.0.1 and localhost, usable both as the node's server
     * certificate and as its client certificate to its peers (both extended key usages).
     */
    public Pem node(String fileName, String subject) throws Exception {
        KeyPair keys = keys();
        JcaX509v3CertificateBuilder b = builder(issuer(), name(subject), keys);
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
        KeyPurposeId[] both = {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth};
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(both));
        return write(fileName, sign(b, caKeys.getPrivate()), keys.getPrivate());
    }

    /** A client certificate with {@code subject} (an X.500 name such as {@code CN=ops,O=Example}). */
    public Pem client(String fileName, String subject) throws Exception {
        KeyPair keys = keys();
        JcaX509v3CertificateBuilder b = builder(issuer(), name(subject), keys);
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        return write(fileName, sign(b, caKeys.getPrivate()), keys.getPrivate());
    }

    /** As the JDK reads an RFC 2253 name (most specific first), so subjects compare equal on the server. */
    private static X500Name name(String rfc2253) {
        return X500Name.getInstance(new X500Principal(rfc2253).getEncoded());
    }

    private X500Name issuer() {
        return X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded());
    }

    private Pem write(String fileName, X509Certificate cert, PrivateKey key) throws IOException {
        Path certFile = dir.resolve(fileName + ".pem");
        Path keyFile = dir.resolve(fileName + "-key.pem");
        Files.writeString(certFile, pem(cert));
        Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(new JcaPKCS8Generator(key, null));
        }
        Files.writeString(keyFile, out.toString());
        return new Pem(certFile, keyFile);
    }

    private static String pem(X509Certificate cert) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(cert);
        }
        return out.toString();
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256, new SecureRandom());
        return g.generateKeyPair();
    }

    private static JcaX509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject,
                keys.getPublic());
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey signer) throws Exception {
        ContentSigner s = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
        X509CertificateHolder holder = b.build(s);
        return new JcaX509CertificateConverter().getCertificate(holder);
    }
}
