package dev.formica.engine.cli;

import dev.formica.client.FormicaException;
import dev.formica.v1.AddNodeRequest;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.ChangeMembersResponse;
import dev.formica.v1.ClusterNode;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.ErrorReason;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.MovePartitionsRequest;
import dev.formica.v1.MovePartitionsResponse;
import dev.formica.v1.PartitionGroup;
import dev.formica.v1.PartitionMap;
import dev.formica.v1.RemoveNodeRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code formica cluster status}: the partition map a node answers ({@code DecisionService.GetPartitionMap}), as an
 * operator reads it: every node, the partition ranges it answers for now (with replication, the groups it leads,
 * their terms, replicas and placement, and the map's version) and which node answered. {@code formica cluster move}
 * moves a replicated group to another of its replicas ({@code AdminService.MovePartitions}, docs/cluster.md,
 * "Membership and moving partitions"). {@code formica cluster add-node} and {@code remove-node} change a group's
 * members ({@code AdminService.AddNode}, {@code RemoveNode}; docs/cluster.md, "Adding and removing a node"), one
 * group at a time at its leader.
 *
 * <p>Thread contract: runs on the CLI's main thread.
 */
@Command(name = "cluster", description = "Show the partition map of a running cluster, move a replicated group, add"
        + " or remove a node.",
        subcommands = {ClusterCommand.Status.class, ClusterCommand.Move.class, ClusterCommand.AddNode.class,
            ClusterCommand.RemoveNode.class, CommandLine.HelpCommand.class})
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

    /** Moves a group to another of its replicas, at the group's leader (found by following the refusal). */
    @Command(name = "move", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Move a replicated group's partitions to another node that holds a caught-up replica of"
                    + " it (clusterReplication: ratis); the group stays there (docs/cluster.md). Sent to --target"
                    + " and, if that node does not lead the group, to the leader it names.")
    public static final class Move implements Callable<Integer> {
        /** Redirects followed to reach the group's leader. */
        static final int MAX_REDIRECTS = 3;
        /** A move checks the target's catch-up, commits, transfers and waits for the new leader: seconds. */
        static final long DEADLINE_S = 30;

        @Mixin
        AdminConnection server;

        @ArgGroup(multiplicity = "1")
        Which which;

        @Option(names = "--to", paramLabel = "NODE", required = true, description = "The node to move the group to.")
        int to;

        @Spec
        CommandLine.Model.CommandSpec spec;

        /** The group, or a partition of it. */
        static final class Which {
            @Option(names = "--group", paramLabel = "G", description = "The group (its id is the node whose range"
                    + " it holds; `cluster status` lists them).")
            Integer group;

            @Option(names = "--partition", paramLabel = "P", description = "Instead of --group: the group of this"
                    + " partition (a group moves whole).")
            Integer partition;
        }

        @Override
        public Integer call() {
            MovePartitionsRequest.Builder request = MovePartitionsRequest.newBuilder().setToNode(to);
            if (which.group != null) {
                request.setGroup(which.group);
            } else {
                request.setPartition(which.partition);
            }
            PrintWriter out = spec.commandLine().getOut();
            for (int redirects = 0; ; redirects++) {
                ManagedChannel channel = server.channel();
                try {
                    MovePartitionsResponse moved = server.stub(channel).withDeadlineAfter(DEADLINE_S,
                            TimeUnit.SECONDS).movePartitions(request.build());
                    out.printf("group %d moved from node %d to node %d%n", moved.getGroup(), moved.getFromNode(), to);
                    print(moved.getMap(), out);
                    return 0;
                } catch (StatusRuntimeException e) {
                    FormicaException refused = FormicaException.of(e);
                    String leader = refused.errorMetadata().getOrDefault("owner_address", "");
                    if (refused.reason() != ErrorReason.PARTITION_NOT_OWNED || leader.isEmpty()
                            || redirects >= MAX_REDIRECTS) {
                        throw e;
                    }
                    out.printf("node at %s does not lead the group; asking its leader at %s%n", server.target,
                            server.redirect(leader));
                    server.target = server.redirect(leader);
                } finally {
                    AdminConnection.close(channel);
                }
            }
        }
    }

    /**
     * Sends one membership change per group to the group's leader: to {@code --target} first, then to the leader a
     * PARTITION_NOT_OWNED refusal names (at most {@link Move#MAX_REDIRECTS} times). The target is put back after each
     * group.
     */
    static ChangeMembersResponse atLeader(AdminConnection server, PrintWriter out,
            java.util.function.Function<AdminServiceGrpc.AdminServiceBlockingStub, ChangeMembersResponse> change) {
        String target = server.target;
        try {
            for (int redirects = 0; ; redirects++) {
                ManagedChannel channel = server.channel();
                try {
                    return change.apply(server.stub(channel).withDeadlineAfter(CHANGE_DEADLINE_S, TimeUnit.SECONDS));
                } catch (StatusRuntimeException e) {
                    FormicaException refused = FormicaException.of(e);
                    String leader = refused.errorMetadata().getOrDefault("owner_address", "");
                    if (refused.reason() != ErrorReason.PARTITION_NOT_OWNED || leader.isEmpty()
                            || redirects >= Move.MAX_REDIRECTS) {
                        throw e;
                    }
                    out.printf("node at %s does not lead the group; asking its leader at %s%n", server.target,
                            server.redirect(leader));
                    server.target = server.redirect(leader);
                } finally {
                    AdminConnection.close(channel);
                }
            }
        } finally {
            server.target = target;
        }
    }

    /** A change waits for Ratis's staging (the new member's catch-up) and then for its commit index: a minute. */
    static final long CHANGE_DEADLINE_S = 90;

    /** The groups to change: those named, else every group of the cluster (from --target's map). */
    static List<Integer> groups(AdminConnection server, List<Integer> named, CommandLine command) {
        if (named != null && !named.isEmpty()) {
            return named;
        }
        PartitionMap map = server.call(DecisionServiceGrpc::newBlockingStub,
                stub -> stub.getPartitionMap(GetPartitionMapRequest.getDefaultInstance()));
        if (map.getGroupCount() == 0) {
            throw new CommandLine.ParameterException(command, "the node at " + server.target
                    + " has no replication (clusterReplication: ratis): no groups to change");
        }
        List<Integer> all = new ArrayList<>();
        for (int g = 0; g < map.getGroupCount(); g++) {
            all.add(g);
        }
        return all;
    }

    /** Adds a node to groups' members, at each group's leader. */
    @Command(name = "add-node", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Add a node to replicated groups' members (clusterReplication: ratis; docs/cluster.md,"
                    + " \"Adding and removing a node\"). Start the node first with the grown clusterNodes and"
                    + " clusterRaftNodes, clusterGroups set to the cluster's group count and clusterJoin listing the"
                    + " groups it joins. For each group, sent to its leader (--target, or the leader --target"
                    + " names): the leader sets the group's Raft configuration to its members plus the node; Ratis"
                    + " catches the node up (the leader's snapshot, then the log) before the change commits; the"
                    + " command returns once the node has committed what the leader had. Then"
                    + " `formica cluster move --group G --to N` moves a group's partitions to it. Refusals:"
                    + " FAILED_PRECONDITION NODE_UNREACHABLE (the node does not answer or holds no replica of the"
                    + " group: nothing changed), MEMBERSHIP_CHANGE_IN_PROGRESS (retry).")
    public static final class AddNode implements Callable<Integer> {
        @Mixin
        AdminConnection server;

        @Option(names = "--node", paramLabel = "N", required = true, description = "The node's id: its position in"
                + " the grown clusterNodes (the next id for a new node).")
        int node;

        @Option(names = "--address", paramLabel = "HOST:PORT", required = true, description = "The node's gRPC"
                + " address as clients dial it (its clusterNodes entry).")
        String address;

        @Option(names = "--raft-address", paramLabel = "HOST:PORT", required = true, description = "The node's Raft"
                + " address (its clusterRaftNodes entry).")
        String raftAddress;

        @Option(names = "--group", paramLabel = "G", description = "A group to add it to (repeatable; default:"
                + " every group of the cluster; the node must list them in clusterJoin).")
        List<Integer> group;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            ChangeMembersResponse last = null;
            for (int g : groups(server, group, spec.commandLine())) {
                AddNodeRequest request = AddNodeRequest.newBuilder().setGroup(g).setNode(node).setAddress(address)
                        .setRaftAddress(raftAddress).build();
                last = atLeader(server, out, stub -> stub.addNode(request));
                out.printf("group %d: %s; its replicas are nodes %s%n", g, last.getChanged() ? "node " + node
                        + " added and caught up" : "node " + node + " was a member already", last.getReplicasList());
            }
            if (last != null) {
                print(last.getMap(), out);
            }
            return 0;
        }
    }

    /** Removes a node from groups' members, at each group's leader. */
    @Command(name = "remove-node", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Remove a node from replicated groups' members (docs/cluster.md, \"Adding and removing a"
                    + " node\"): for each group, sent to its leader, which sets the group's Raft configuration"
                    + " without it. Refused (nothing changed) while the node leads a group or a group is placed on"
                    + " it (move the group first: `formica cluster move`), or when the members left that answer"
                    + " would not be a majority (FAILED_PRECONDITION MEMBERSHIP_REFUSED).")
    public static final class RemoveNode implements Callable<Integer> {
        @Mixin
        AdminConnection server;

        @Option(names = "--node", paramLabel = "N", required = true, description = "The node to remove.")
        int node;

        @Option(names = "--group", paramLabel = "G", description = "A group to remove it from (repeatable; default:"
                + " every group it is a member of).")
        List<Integer> group;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PartitionMap map = server.call(DecisionServiceGrpc::newBlockingStub,
                    stub -> stub.getPartitionMap(GetPartitionMapRequest.getDefaultInstance()));
            for (PartitionGroup g : map.getGroupsList()) {
                if (g.getLeader() == node && (group == null || group.isEmpty() || group.contains(g.getId()))) {
                    spec.commandLine().getErr().printf("node %d leads group %d: move the group to another member"
                            + " first (formica cluster move --group %d --to M); nothing changed%n", node, g.getId(),
                            g.getId());
                    return 1;
                }
            }
            ChangeMembersResponse last = null;
            for (int g : groups(server, group, spec.commandLine())) {
                RemoveNodeRequest request = RemoveNodeRequest.newBuilder().setGroup(g).setNode(node).build();
                last = atLeader(server, out, stub -> stub.removeNode(request));
                out.printf("group %d: %s; its replicas are nodes %s%n", g, last.getChanged() ? "node " + node
                        + " removed" : "node " + node + " was not a member", last.getReplicasList());
            }
            if (last != null) {
                print(last.getMap(), out);
            }
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
        if (map.getGroupsCount() > 0) {
            out.printf("  %-5s %-10s %-6s %8s  %-10s %s%n", "group", "partitions", "leader", "term", "replicas",
                    "placed on");
            for (PartitionGroup g : map.getGroupsList()) {
                out.printf("  %-5d %-10s %-6d %8d  %-10s %d%n", g.getId(), g.getFirstPartition() + "-"
                        + g.getLastPartition(), g.getLeader(), g.getTerm(), g.getReplicasList().stream()
                        .map(String::valueOf).collect(Collectors.joining(",")), g.getPlacedOn());
            }
            out.printf("%d partitions; map version %d; answered by node %d%n", map.getPartitionCount(),
                    map.getVersion(), map.getAnsweredBy());
        } else {
            out.printf("%d partitions; answered by node %d%n", map.getPartitionCount(), map.getAnsweredBy());
        }
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
