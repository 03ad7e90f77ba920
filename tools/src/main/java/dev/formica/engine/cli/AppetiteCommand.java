package dev.formica.engine.cli;

import dev.formica.v1.GetRiskAppetiteRequest;
import dev.formica.v1.Product;
import dev.formica.v1.ProductAppetite;
import dev.formica.v1.RiskAppetite;
import dev.formica.v1.SetRiskAppetiteRequest;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code formica appetite set|show}: the risk-appetite factor of a running server ({@code AdminService}
 * {@code SetRiskAppetite} / {@code GetRiskAppetite}); it scales new lines and new approvals, never drawn balances.
 *
 * <p>Thread contract: runs on the CLI's main thread.
 */
@Command(name = "appetite", description = "Show or set the risk-appetite factor of a running server.",
        subcommands = {AppetiteCommand.Set.class, AppetiteCommand.Show.class, CommandLine.HelpCommand.class})
public final class AppetiteCommand implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Sets the factor for one product or all. */
    @Command(name = "set", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Set the risk-appetite factor in basis points (10000 = neutral, 8000 = 0.8 in a"
                    + " downturn), for one product or all. Prints the appetite now in force.")
    public static final class Set implements Callable<Integer> {
        @Parameters(paramLabel = "FACTOR_BPS", description = "1..20000 basis points")
        int factorBps;

        @Option(names = "--product", paramLabel = "PRODUCT", description = "CONSUMER_CREDIT, CASH_LOAN or"
                + " BUSINESS_LOAN (default: all products)")
        String product;

        @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "why, for the audit trail")
        String reason;

        @Mixin
        AdminConnection server;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            SetRiskAppetiteRequest.Builder request = SetRiskAppetiteRequest.newBuilder().setFactorBps(factorBps)
                    .setReason(reason);
            if (product != null) {
                request.setProduct(product(product));
            }
            print(server.call(stub -> stub.setRiskAppetite(request.build())), spec.commandLine().getOut());
            return 0;
        }
    }

    /** Prints the factor of each product. */
    @Command(name = "show", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Print the risk-appetite factor of each product of a running server.")
    public static final class Show implements Callable<Integer> {
        @Mixin
        AdminConnection server;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            print(server.call(stub -> stub.getRiskAppetite(GetRiskAppetiteRequest.getDefaultInstance())),
                    spec.commandLine().getOut());
            return 0;
        }
    }

    static Product product(String name) {
        try {
            Product p = Product.valueOf(name.strip().toUpperCase(Locale.ROOT));
            if (p != Product.PRODUCT_UNSPECIFIED && p != Product.UNRECOGNIZED) {
                return p;
            }
        } catch (IllegalArgumentException e) {
            // below
        }
        throw new CommandErrors.UsageException("--product: " + name + " is not CONSUMER_CREDIT, CASH_LOAN or"
                + " BUSINESS_LOAN");
    }

    /** One line per product: the factor in force (10000 bps when never set), why and since when. */
    static void print(RiskAppetite appetite, PrintWriter out) {
        out.printf("  %-16s %10s  %-24s %s%n", "product", "factor", "set (UTC)", "reason");
        for (Product p : new Product[] {Product.CONSUMER_CREDIT, Product.CASH_LOAN, Product.BUSINESS_LOAN}) {
            ProductAppetite set = appetite.getProductsList().stream().filter(a -> a.getProduct() == p).findFirst()
                    .orElse(null);
            if (set == null) {
                out.printf("  %-16s %10s  %-24s %s%n", p, "10000 bps", "-", "(neutral, never set)");
            } else {
                out.printf("  %-16s %10s  %-24s %s%n", p, set.getFactorBps() + " bps",
                        Instant.ofEpochMilli(set.getSetMs()).toString(), set.getReason());
            }
        }
        out.flush();
    }
}
