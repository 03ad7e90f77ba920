package dev.formica.engine.cli;

import dev.formica.v1.BlockListKind;
import dev.formica.v1.UpdateBlockListRequest;
import dev.formica.v1.UpdateBlockListResponse;
import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code formica blocklist add|remove KIND [VALUE...] [--file FILE]}: block-list entries of a running server
 * ({@code AdminService.UpdateBlockList}). Entries are personal data: give them in a file (or on standard input,
 * {@code --file -}) rather than as arguments, which other users can see in the process list; the command prints
 * counts only, as the server logs them.
 *
 * <p>Thread contract: runs on the CLI's main thread.
 */
@Command(name = "blocklist", description = "Add or remove block-list entries (borrower, device, ip, merchant) of a"
        + " running server.",
        subcommands = {BlockListCommand.Add.class, BlockListCommand.Remove.class, CommandLine.HelpCommand.class})
public final class BlockListCommand implements Runnable {
    /** Values sent in one call at most: the server's limit per call (add + remove). */
    static final int BATCH = 10_000;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** What add and remove share. */
    abstract static class Update implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "KIND", description = "borrower, device, ip or merchant")
        String kind;

        @Parameters(index = "1..*", paramLabel = "VALUE", description = "entries (prefer --file: arguments show in"
                + " the process list)")
        List<String> values = new ArrayList<>();

        @Option(names = "--file", paramLabel = "FILE", description = "read entries from FILE, one a line ('-' ="
                + " standard input); blank lines and # comments are skipped")
        String file;

        @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "why, for the audit trail")
        String reason;

        @Mixin
        AdminConnection server;

        @Spec
        CommandLine.Model.CommandSpec spec;

        abstract boolean adding();

        @Override
        public Integer call() throws IOException {
            BlockListKind k = kind(kind);
            List<String> all = new ArrayList<>(values);
            if (file != null) {
                all.addAll(read(file));
            }
            if (all.isEmpty()) {
                throw new CommandErrors.UsageException("no entries: give VALUE arguments or --file");
            }
            long changed = 0;
            long size = 0;
            ManagedChannel channel = server.channel();
            try {
                for (int from = 0; from < all.size(); from += BATCH) {
                    List<String> batch = all.subList(from, Math.min(all.size(), from + BATCH));
                    UpdateBlockListRequest.Builder request = UpdateBlockListRequest.newBuilder().setKind(k)
                            .setReason(reason);
                    if (adding()) {
                        request.addAllAdd(batch);
                    } else {
                        request.addAllRemove(batch);
                    }
                    UpdateBlockListResponse r = AdminConnection.deadline(server.stub(channel))
                            .updateBlockList(request.build());
                    changed += adding() ? r.getAdded() : r.getRemoved();
                    size = r.getSize();
                }
            } finally {
                AdminConnection.close(channel);
            }
            spec.commandLine().getOut().printf("%s block list: %s %d of %d entries given; %d on the list now%n",
                    kind.toLowerCase(Locale.ROOT), adding() ? "added" : "removed", changed, all.size(), size);
            spec.commandLine().getOut().flush();
            return 0;
        }

        private static List<String> read(String file) throws IOException {
            List<String> lines;
            if (file.equals("-")) {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                lines = in.lines().toList();
            } else {
                lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
            }
            List<String> values = new ArrayList<>();
            for (String line : lines) {
                String v = line.strip();
                if (!v.isEmpty() && !v.startsWith("#")) {
                    values.add(v);
                }
            }
            return values;
        }
    }

    /** Adds entries. */
    @Command(name = "add", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Add entries to a block list; decisions naming them are declined (BLOCKLIST_*).")
    public static final class Add extends Update {
        @Override
        boolean adding() {
            return true;
        }
    }

    /** Removes entries. */
    @Command(name = "remove", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Remove entries from a block list.")
    public static final class Remove extends Update {
        @Override
        boolean adding() {
            return false;
        }
    }

    static BlockListKind kind(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "borrower" -> BlockListKind.BLOCK_LIST_KIND_BORROWER;
            case "device" -> BlockListKind.BLOCK_LIST_KIND_DEVICE;
            case "ip" -> BlockListKind.BLOCK_LIST_KIND_IP;
            case "merchant" -> BlockListKind.BLOCK_LIST_KIND_MERCHANT;
            default -> throw new CommandErrors.UsageException("KIND: " + name
                    + " is not borrower, device, ip or merchant");
        };
    }
}
