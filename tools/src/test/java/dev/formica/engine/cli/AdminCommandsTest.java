package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, deliverable 7: {@code formica rules publish|activate|shadow|list}, {@code formica appetite set|show}
 * and {@code formica blocklist add|remove} against a real {@code formica serve} child process on loopback, with
 * the local admin token found from {@code --data-dir}, or given by an owner-only {@code --token-file}; what each
 * command changed is checked by the server's own answers (a list, a Decide that the block list now declines),
 * and a refusal prints its code, reason and every bad field.
 */
class AdminCommandsTest {
    private static final int PORT = 20421;

    @TempDir
    static Path dir;
    /** One server for both tests: a start costs tens of seconds (recovery, warm-up). */
    static ServeProcess serve;
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        data = dir.resolve("data");
        serve = ServeProcess.start(120, "--port=" + PORT, "--shards=1", "--data-dir=" + data);
    }

    @AfterAll
    static void stop() {
        serve.close();
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** A command that must succeed. */
    private static CliRun ok(String... args) {
        CliRun r = run(args);
        assertEquals(0, r.exit(), r.all());
        return r;
    }

    @Test
    void shouldManageRuleSetsAppetiteAndBlockListsFromTheCommandLine() throws Exception {
        String target = "127.0.0.1:" + serve.port();
        String[] local = {"--target", target, "--data-dir", data.toString()};

        // issue 21, deliverable 5: serve printed its configuration once, each setting with its source
        assertEquals(1, Pattern.compile("(?m)^configuration \\(flags > environment FORMICA_\\* > file > defaults\\):$")
                .matcher(serve.output()).results().count(), serve.output());
        assertTrue(Pattern.compile("(?m)^  port +" + PORT + " +flag --port$").matcher(serve.output()).find(),
                serve.output());
        assertTrue(Pattern.compile("(?m)^  adminTokenFile +.*admin\\.token +made by serve").matcher(serve.output())
                .find(), serve.output());

        // rule sets: publish, shadow, activate, list, clear the shadow
        CliRun list = ok(cat(new String[] {"rules", "list"}, local));
        String builtIn = DefaultRuleSet.yaml().lines().filter(l -> l.startsWith("version:")).findFirst()
                .orElseThrow().substring("version:".length()).strip();
        assertTrue(Pattern.compile("(?m)^\\* " + Pattern.quote(builtIn) + " +active").matcher(list.out()).find(),
                list.all());

        Path next = dir.resolve("next.yaml");
        Files.writeString(next, DefaultRuleSet.yaml().replace("version: " + builtIn, "version: cli-next-1"));
        CliRun published = ok(cat(new String[] {"rules", "publish", next.toString(), "--author", "ops"}, local));
        assertTrue(published.out().contains("published cli-next-1"), published.all());

        assertTrue(ok(cat(new String[] {"rules", "shadow", "cli-next-1"}, local)).out()
                .contains("shadow cli-next-1"));
        list = ok(cat(new String[] {"rules", "list"}, local));
        assertTrue(Pattern.compile("(?m)^  cli-next-1 +shadow +ops ").matcher(list.out()).find(), list.all());

        CliRun activated = ok(cat(new String[] {"rules", "activate", "cli-next-1"}, local));
        assertTrue(activated.out().contains("active cli-next-1 (was " + builtIn + ")"), activated.all());
        assertTrue(ok(cat(new String[] {"rules", "shadow", "--clear"}, local)).out()
                .contains("no shadow rule set"));
        list = ok(cat(new String[] {"rules", "list"}, local));
        assertTrue(Pattern.compile("(?m)^\\* cli-next-1 +active +ops ").matcher(list.out()).find(), list.all());

        // a refusal says why, with every bad field
        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, DefaultRuleSet.yaml().replace("when: \"blocked.ip\"", "when: \"blocked.ipp\"")
                .replace("when: \"blocked.device\"", "when: \"blocked.devicee\""));
        CliRun refused = run(cat(new String[] {"rules", "publish", broken.toString(), "--author", "ops"}, local));
        assertEquals(1, refused.exit(), refused.all());
        assertTrue(refused.err().startsWith("formica rules publish: INVALID_ARGUMENT RULE_SET_INVALID: yaml: "),
                refused.all());
        Pattern problem = Pattern.compile("(?m)^  yaml: \\d+:\\d+: fraud rule BLOCKLIST_(DEVICE|IP)\\.when: ");
        assertEquals(2, problem.matcher(refused.err()).results().count(), refused.all());
        CliRun missing = run(cat(new String[] {"rules", "activate", "no-such-version"}, local));
        assertEquals(1, missing.exit(), missing.all());
        assertTrue(missing.err().contains("NOT_FOUND RULE_SET_NOT_FOUND"), missing.all());

        // the partition map: one node without cluster settings answers for all 256
        CliRun status = ok(cat(new String[] {"cluster", "status"}, local));
        assertTrue(Pattern.compile("(?m)^  0 +\\(this server, no cluster settings\\) +256  0-255$")
                .matcher(status.out()).find(), status.all());
        assertTrue(status.out().contains("256 partitions; answered by node 0"), status.all());
        // nothing to move without replication; a bad node is named
        CliRun noMove = run(cat(new String[] {"cluster", "move", "--group", "0", "--to", "0"}, local));
        assertEquals(1, noMove.exit(), noMove.all());
        assertTrue(noMove.err().startsWith("formica cluster move: FAILED_PRECONDITION MOVE_REFUSED: this server has"
                + " no replication"), noMove.all());
        CliRun badNode = run(cat(new String[] {"cluster", "move", "--partition", "7", "--to", "1"}, local));
        assertTrue(badNode.err().startsWith("formica cluster move: INVALID_ARGUMENT INVALID_FIELD: to_node: 1 is not"
                + " a node of this cluster"), badNode.all());

        // risk appetite
        CliRun set = ok(cat(new String[] {"appetite", "set", "8000", "--product", "cash_loan", "--reason",
                "downturn"}, local));
        assertTrue(Pattern.compile("(?m)^  CASH_LOAN +8000 bps .* downturn$").matcher(set.out()).find(), set.all());
        CliRun shown = ok(cat(new String[] {"appetite", "show"}, local));
        assertTrue(Pattern.compile("(?m)^  CASH_LOAN +8000 bps .* downturn$").matcher(shown.out()).find(),
                shown.all());
        assertTrue(Pattern.compile("(?m)^  CONSUMER_CREDIT +10000 bps").matcher(shown.out()).find(), shown.all());
        CliRun badFactor = run(cat(new String[] {"appetite", "set", "0", "--reason", "x"}, local));
        assertEquals(1, badFactor.exit(), badFactor.all());
        assertTrue(badFactor.err().contains("INVALID_ARGUMENT INVALID_FIELD: factor_bps: must be 1..20000"),
                badFactor.all());

        // block lists: entries from a file, and the server declines a decision naming one
        Path devices = dir.resolve("devices.txt");
        Files.writeString(devices, "# stolen phones\ndev-stolen-1\n\ndev-stolen-2\n");
        CliRun added = ok(cat(new String[] {"blocklist", "add", "device", "--file", devices.toString(), "--reason",
                "fraud ring"}, local));
        assertTrue(added.out().contains("device block list: added 2 of 2 entries given; 2 on the list now"),
                added.all());
        try (FormicaClient client = FormicaClient.builder().target(target).build()) {
            client.upsertProfile(Profile.newBuilder().setBorrowerId("alice").addLines(ProductLine.newBuilder()
                    .setProduct(Product.CONSUMER_CREDIT).setLineMinor(10_000_000)).build());
            DecisionResponse blocked = client.decide(DecisionRequest.newBuilder().setRequestId("cli-d1")
                    .setBorrowerId("alice").setProduct(Product.CONSUMER_CREDIT).setAmountMinor(5_000)
                    .setDeviceId("dev-stolen-2").build());
            assertEquals(Outcome.DECLINE, blocked.getOutcome(), blocked.toString());
            assertTrue(blocked.getReasonsList().stream().anyMatch(r -> r.getCode().equals("BLOCKLIST_DEVICE")),
                    blocked.toString());
        }
        CliRun removed = ok(cat(new String[] {"blocklist", "remove", "device", "dev-stolen-2", "--reason",
                "recovered"}, local));
        assertTrue(removed.out().contains("device block list: removed 1 of 1 entries given; 1 on the list now"),
                removed.all());
    }

    @Test
    void shouldAuthenticateByTokenFileAndSayWhatToGiveWithoutOne() throws Exception {
        String target = "127.0.0.1:" + serve.port();
        String elsewhere = dir.resolve("elsewhere").toString();

        CliRun anonymous = run("appetite", "show", "--target", target, "--data-dir", elsewhere);
        assertEquals(1, anonymous.exit(), anonymous.all());
        assertTrue(anonymous.err().contains("UNAUTHENTICATED CREDENTIALS_MISSING"), anonymous.all());
        assertTrue(anonymous.err().contains("--token-file"), anonymous.all());

        String token = LocalAdminToken.read(data);
        Path open = dir.resolve("open.token");
        Files.writeString(open, token + "\n");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        CliRun refusedFile = run("appetite", "show", "--target", target, "--data-dir", elsewhere, "--token-file",
                open.toString());
        assertEquals(2, refusedFile.exit(), refusedFile.all());
        assertTrue(refusedFile.err().contains("chmod 600"), refusedFile.all());

        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-------"));
        CliRun byFile = ok("appetite", "show", "--target", target, "--data-dir", elsewhere, "--token-file",
                open.toString());
        assertTrue(byFile.out().contains("CONSUMER_CREDIT"), byFile.all());

        CliRun wrong = run("rules", "list", "--target", target, "--token", "not-the-token-of-this-server-0000");
        assertEquals(1, wrong.exit(), wrong.all());
        assertTrue(wrong.err().contains("UNAUTHENTICATED TOKEN_INVALID"), wrong.all());

        // a token never leaves this machine in clear: refused before any connection is made
        CliRun clear = run("rules", "list", "--target", "formica.invalid:50051", "--token-file", open.toString());
        assertEquals(2, clear.exit(), clear.all());
        assertTrue(clear.err().contains("refusing to send the admin token in clear"), clear.all());
    }

    private static String[] cat(String[] a, String[] b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
