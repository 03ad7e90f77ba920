import com.sun.management.ThreadMXBean;
import com.sun.tools.attach.VirtualMachine;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The bytes each thread of a running JVM has allocated so far ({@code com.sun.management.ThreadMXBean
 * #getThreadAllocatedBytes}, read through the JVM's local management agent, which this starts by attaching to it),
 * and the difference between two such snapshots per request: a figure the box's load hardly changes, unlike
 * times. Threads are grouped by name with their digits masked ({@code formica-shard-#},
 * {@code epollEventLoopGroup-#-#}), so a group is one role (the shard threads, the event loops, the log writer).
 *
 * <p>Run it without building anything (Java 11+ launches a single source file):
 * <pre>
 * java loadtest/scripts/ThreadAllocation.java snapshot PID FILE          # writes id, bytes and name per thread
 * java loadtest/scripts/ThreadAllocation.java diff BEFORE AFTER REQUESTS   # bytes per request, per group
 * </pre>
 * {@code loadtest/scripts/alloc-per-request.sh} takes the two snapshots around a fixed-rate Decide load. Threads
 * that started or ended between the snapshots count from zero or not at all; the attach itself and the management
 * agent's own threads (RMI, JMX) allocate on threads of their own, listed apart.
 */
public final class ThreadAllocation {
    private ThreadAllocation() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("snapshot")) {
            Files.write(Path.of(args[2]), snapshot(args[1]));
        } else if (args.length == 4 && args[0].equals("diff")) {
            diff(Files.readAllLines(Path.of(args[1])), Files.readAllLines(Path.of(args[2])),
                    Double.parseDouble(args[3]));
        } else {
            System.err.println("usage: ThreadAllocation snapshot PID FILE | diff BEFORE AFTER REQUESTS");
            System.exit(2);
        }
    }

    private static List<String> snapshot(String pid) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(pid);
        String address;
        try {
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        List<String> lines = new ArrayList<>();
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            ThreadMXBean threads = ManagementFactory.newPlatformMXBeanProxy(server,
                    ManagementFactory.THREAD_MXBEAN_NAME, ThreadMXBean.class);
            long[] ids = threads.getAllThreadIds();
            long[] bytes = threads.getThreadAllocatedBytes(ids);
            ThreadInfo[] infos = threads.getThreadInfo(ids);
            for (int i = 0; i < ids.length; i++) {
                if (infos[i] != null && bytes[i] >= 0) {
                    lines.add(ids[i] + "\t" + bytes[i] + "\t" + infos[i].getThreadName());
                }
            }
        }
        return lines;
    }

    private static void diff(List<String> before, List<String> after, double requests) {
        Map<Long, Long> was = new TreeMap<>();
        for (String line : before) {
            String[] f = line.split("\t", 3);
            was.put(Long.parseLong(f[0]), Long.parseLong(f[1]));
        }
        Map<String, long[]> groups = new TreeMap<>();
        long total = 0;
        for (String line : after) {
            String[] f = line.split("\t", 3);
            long delta = Long.parseLong(f[1]) - was.getOrDefault(Long.parseLong(f[0]), 0L);
            long[] g = groups.computeIfAbsent(f[2].replaceAll("[0-9]+", "#"), k -> new long[2]);
            g[0] += delta;
            g[1]++;
            total += delta;
        }
        System.out.printf("%-48s %8s %14s %12s%n", "thread group (digits as #)", "threads", "bytes", "bytes/req");
        for (Map.Entry<String, long[]> e : groups.entrySet()) {
            if (e.getValue()[0] > 0) {
                System.out.printf("%-48s %8d %14d %12.1f%n", e.getKey(), e.getValue()[1], e.getValue()[0],
                        e.getValue()[0] / requests);
            }
        }
        System.out.printf("%-48s %8s %14d %12.1f  (%.0f requests)%n", "all threads", "", total, total / requests,
                requests);
    }
}
