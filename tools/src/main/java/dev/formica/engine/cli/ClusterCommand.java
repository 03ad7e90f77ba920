package dev.formica.engine.cli;

import dev.formica.v1.ClusterNode;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.PartitionMap;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code formica cluster status}: the partition map a node answers ({@code DecisionService.GetPartitionMap}), as an
 * operator reads it: every node, the partition ranges it answers for now (with replication, the groups it leads)
 * and which node answered. Moving partitions and adding nodes are not built (docs/cluster.md), so this command
 * only shows the assignment.
 *
 * <p>Thread contract: runs on the CLI's main thread.
 */
@Command(name = "cluster", description = "Show the partition map of a running cluster.",
        subcommands = {ClusterCommand.Status.class, CommandLine.HelpCommand.class})
public final class ClusterCommand implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Prints the map one node answers. */
    @Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Print every node of the cluster, the partitions each answers for now and the node that"
                    + " answered (ask each node to compare their maps).")
    public static final class Status implements Callable<Integer> {
        @Mixin
        AdminConnection server;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            print(server.call(DecisionServiceGrpc::newBlockingStub,
                    stub -> stub.getPartitionMap(GetPartitionMapRequest.getDefaultInstance())),
                    spec.commandLine().getOut());
            return 0;
        }
    }

    /** One line per node: id, address, how many partitions and their ranges; then who answered. */
    static void print(PartitionMap map, PrintWriter out) {
        out.printf("  %-4s %-40s %10s  %s%n", "node", "address", "partitions", "ranges");
        for (ClusterNode node : map.getNodesList()) {
            List<String> ranges = ranges(map.getOwnersList(), node.getId());
            int count = (int) map.getOwnersList().stream().filter(o -> o == node.getId()).count();
            out.printf("  %-4d %-40s %10d  %s%n", node.getId(),
                    node.getAddress().isEmpty() ? "(this server, no cluster settings)" : node.getAddress(), count,
                    ranges.isEmpty() ? "-" : String.join(", ", ranges));
        }
        out.printf("%d partitions; answered by node %d%n", map.getPartitionCount(), map.getAnsweredBy());
        out.flush();
    }

    /** The partitions {@code node} owns as contiguous ranges ({@code 0-85}, {@code 171}). */
    static List<String> ranges(List<Integer> owners, int node) {
        List<String> ranges = new ArrayList<>();
        int start = -1;
        for (int p = 0; p <= owners.size(); p++) {
            boolean owned = p < owners.size() && owners.get(p) == node;
            if (owned && start < 0) {
                start = p;
            } else if (!owned && start >= 0) {
                ranges.add(start == p - 1 ? String.valueOf(start) : start + "-" + (p - 1));
                start = -1;
            }
        }
        return ranges;
    }
}
