package dev.formica.clusterbench;

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.client.AeronArchive;
import io.aeron.cluster.ClusteredMediaDriver;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.EgressListener;
import io.aeron.cluster.codecs.CloseReason;
import io.aeron.cluster.service.ClientSession;
import io.aeron.cluster.service.Cluster;
import io.aeron.cluster.service.ClusteredService;
import io.aeron.cluster.service.ClusteredServiceContainer;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.Header;
import java.io.File;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NoOpLock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Aeron Cluster: per replica a media driver (its own directory under /dev/shm), an archive that records the log, the
 * consensus module and a clustered service that counts the entry and answers its sender with the entry's first 8
 * bytes (only the leader's answer leaves). Defaults throughout but for a 1 s leader heartbeat timeout (10 s by
 * default), explicit ports, and the SHARED threading mode (one conductor/sender/receiver thread per driver) that
 * three replicas on two cores need.
 */
final class AeronEngine implements Engine {

    private static final long RESEND_NS = TimeUnit.MILLISECONDS.toNanos(100);

    /** The media driver directory of replica {@code id} (or "client") of the run in {@code dir}. */
    static String aeronDir(Path dir, String who) {
        return "/dev/shm/formica-cb-" + dir.getFileName() + "-aeron-" + who;
    }

    private static String udp(int port) {
        return "aeron:udp?endpoint=" + Ports.HOST + ":" + port;
    }

    private static String members() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            sb.append(i);
            for (int offset : new int[] {2, 3, 4, 5, 1}) {
                sb.append(',').append(Ports.HOST).append(':').append(Ports.aeron(i, offset));
            }
            sb.append('|');
        }
        return sb.toString();
    }

    @Override
    public void runNode(int id, Path dir) throws Exception {
        String aeronDir = aeronDir(dir, String.valueOf(id));
        File base = dir.resolve("aeron-node-" + id).toFile();
        CountDownLatch stop = new CountDownLatch(1);
        MediaDriver.Context driver = new MediaDriver.Context().aeronDirectoryName(aeronDir)
                .threadingMode(ThreadingMode.SHARED).termBufferSparseFile(true)
                .dirDeleteOnStart(true).dirDeleteOnShutdown(true).terminationHook(stop::countDown);
        Archive.Context archive = new Archive.Context().aeronDirectoryName(aeronDir)
                .archiveDir(new File(base, "archive"))
                .controlChannel(udp(Ports.aeron(id, 1)))
                .archiveClientContext(new AeronArchive.Context().controlResponseChannel(udp(Ports.aeron(id, 9))))
                .localControlChannel("aeron:ipc?term-length=64k")
                .replicationChannel(udp(Ports.aeron(id, 7)))
                .recordingEventsEnabled(false)
                .threadingMode(ArchiveThreadingMode.SHARED);
        AeronArchive.Context local = new AeronArchive.Context().lock(NoOpLock.INSTANCE)
                .controlRequestChannel(archive.localControlChannel())
                .controlResponseChannel(archive.localControlChannel())
                .aeronDirectoryName(aeronDir);
        ConsensusModule.Context consensus = new ConsensusModule.Context()
                .clusterMemberId(id).clusterMembers(members())
                .clusterDir(new File(base, "cluster"))
                .ingressChannel("aeron:udp?term-length=64k")
                .replicationChannel(udp(Ports.aeron(id, 8)))
                .leaderHeartbeatTimeoutNs(TimeUnit.SECONDS.toNanos(1))
                .archiveContext(local.clone())
                .terminationHook(stop::countDown);
        ClusteredServiceContainer.Context service = new ClusteredServiceContainer.Context()
                .aeronDirectoryName(aeronDir)
                .archiveContext(local.clone())
                .clusterDir(new File(base, "cluster"))
                .clusteredService(new EchoService())
                .terminationHook(stop::countDown);
        try (ClusteredMediaDriver ignored = ClusteredMediaDriver.launch(driver, archive, consensus);
                ClusteredServiceContainer ignored2 = ClusteredServiceContainer.launch(service)) {
            System.out.println("aeron node " + id + " started");
            stop.await();
        }
    }

    @Override
    public Writer connect(Path dir) {
        return new AeronWriter(aeronDir(dir, "client"));
    }

    /** The state machine: counts entries and echoes the correlation id (the entry's first 8 bytes). */
    static final class EchoService implements ClusteredService {
        private final IdleStrategy idle = new BackoffIdleStrategy();
        private long entries;

        @Override
        public void onStart(Cluster cluster, Image snapshotImage) {
        }

        @Override
        public void onSessionOpen(ClientSession session, long timestamp) {
        }

        @Override
        public void onSessionClose(ClientSession session, long timestamp, CloseReason closeReason) {
        }

        @Override
        public void onSessionMessage(ClientSession session, long timestamp, DirectBuffer buffer, int offset,
                                     int length, Header header) {
            entries++;
            idle.reset();
            while (session.offer(buffer, offset, Long.BYTES) < 0) {
                idle.idle();
            }
        }

        @Override
        public void onTimerEvent(long correlationId, long timestamp) {
        }

        @Override
        public void onTakeSnapshot(ExclusivePublication snapshotPublication) {
        }

        @Override
        public void onRoleChange(Cluster.Role newRole) {
        }

        @Override
        public void onTerminate(Cluster cluster) {
        }
    }

    /** The client: an embedded media driver of its own and an AeronCluster session through ingress/egress. */
    static final class AeronWriter implements Writer, EgressListener {
        private final MediaDriver driver;
        private final AeronCluster cluster;
        private final IdleStrategy idle = new BackoffIdleStrategy();
        private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[0]);
        private long correlation;
        private long acked = -1;
        private int leader = -1;

        AeronWriter(String aeronDir) {
            driver = MediaDriver.launchEmbedded(new MediaDriver.Context().aeronDirectoryName(aeronDir)
                .threadingMode(ThreadingMode.SHARED).dirDeleteOnStart(true).dirDeleteOnShutdown(true));
            StringBuilder ingress = new StringBuilder();
            for (int i = 0; i < 3; i++) {
                ingress.append(i == 0 ? "" : ",").append(i).append('=').append(Ports.HOST).append(':')
                    .append(Ports.aeron(i, 2));
            }
            try {
                cluster = AeronCluster.connect(new AeronCluster.Context().egressListener(this)
                    .aeronDirectoryName(driver.aeronDirectoryName())
                    .egressChannel(udp(Ports.AERON_CLIENT_EGRESS))
                    .ingressChannel("aeron:udp").ingressEndpoints(ingress.toString()));
            } catch (RuntimeException e) {
                driver.close();
                throw e;
            }
            leader = cluster.leaderMemberId();
        }

        @Override
        public void commit(byte[] entry) {
            long id = ++correlation;
            buffer.wrap(entry);
            buffer.putLong(0, id);
            long sentAt = 0;
            idle.reset();
            while (acked != id) {
                if (cluster.isClosed()) {
                    throw new IllegalStateException("cluster session closed");
                }
                long now = System.nanoTime();
                if (sentAt == 0 || now - sentAt > RESEND_NS) {
                    // after a leader change the entry in flight may be lost: send it again
                    if (cluster.offer(buffer, 0, entry.length) > 0) {
                        sentAt = now;
                    }
                }
                idle.idle(cluster.pollEgress());
            }
        }

        @Override
        public void onMessage(long sessionId, long timestamp, DirectBuffer buf, int offset, int length,
                              Header header) {
            acked = Math.max(acked, buf.getLong(offset));
        }

        @Override
        public void onNewLeader(long sessionId, long termId, int leaderMemberId, String ingressEndpoints) {
            leader = leaderMemberId;
        }

        @Override
        public int leader() {
            return leader;
        }

        @Override
        public void close() {
            try {
                cluster.close();
            } finally {
                driver.close();
            }
        }
    }
}
