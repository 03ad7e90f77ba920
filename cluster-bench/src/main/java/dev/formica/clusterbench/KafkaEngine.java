package dev.formica.clusterbench;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Apache Kafka (KRaft) as the replicated log: three nodes, each broker and controller in one JVM ({@code kafka.Kafka}
 * after {@code kafka-storage format}), one topic of one partition with 3 replicas and min.insync.replicas=2; a
 * producer with acks=all and idempotence, and in the {@code kafka-txn} variant a transaction per entry (the fencing
 * of a zombie leader). Failure detection shortened to about 1 s (broker session 1.5 s, controller fetch 1 s; the
 * defaults are 9 s and 2 s). Kafka does not fsync by default: an entry is committed when it is in the memory of the
 * in-sync replicas.
 */
final class KafkaEngine implements Engine {

    static final String TOPIC = "formica-shard-0";
    private static final String CLUSTER_ID = new Uuid(0x666f726d69636131L, 0x636c757374657222L).toString();
    private final boolean transactional;

    KafkaEngine(boolean transactional) {
        this.transactional = transactional;
    }

    static String bootstrap() {
        return Ports.HOST + ":" + Ports.kafkaBroker(0) + "," + Ports.HOST + ":" + Ports.kafkaBroker(1) + ","
                + Ports.HOST + ":" + Ports.kafkaBroker(2);
    }

    @Override
    public void runNode(int id, Path dir) throws Exception {
        Path home = dir.resolve("kafka-node-" + id);
        Files.createDirectories(home);
        StringBuilder voters = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            voters.append(i == 0 ? "" : ",").append(i).append('@').append(Ports.HOST).append(':')
                .append(Ports.kafkaController(i));
        }
        String config = String.join("\n",
                "process.roles=broker,controller",
                "node.id=" + id,
                "controller.quorum.voters=" + voters,
                "listeners=PLAINTEXT://" + Ports.HOST + ":" + Ports.kafkaBroker(id) + ",CONTROLLER://" + Ports.HOST
                + ":" + Ports.kafkaController(id),
                "advertised.listeners=PLAINTEXT://" + Ports.HOST + ":" + Ports.kafkaBroker(id),
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + home.resolve("data"),
                "num.partitions=1",
                "default.replication.factor=3",
                "min.insync.replicas=2",
                "unclean.leader.election.enable=false",
                "offsets.topic.replication.factor=3",
                "transaction.state.log.replication.factor=3",
                "transaction.state.log.min.isr=2",
                "transaction.state.log.num.partitions=1",
                "group.initial.rebalance.delay.ms=0",
                "broker.heartbeat.interval.ms=250",
                "broker.session.timeout.ms=1500",
                "controller.quorum.fetch.timeout.ms=1000",
                "controller.quorum.election.timeout.ms=500",
                "");
        Path properties = home.resolve("server.properties");
        Files.writeString(properties, config);
        int rc = kafka.tools.StorageTool.execute(
            new String[] {"format", "-t", CLUSTER_ID, "-c", properties.toString(), "--ignore-formatted"},
            new PrintStream(OutputStream.nullOutputStream()));
        if (rc != 0) {
            throw new IllegalStateException("kafka-storage format failed: " + rc);
        }
        System.out.println("kafka node " + id + " formatted");
        kafka.Kafka.main(new String[] {properties.toString()});
    }

    @Override
    public Writer connect(Path dir) throws Exception {
        Properties common = new Properties();
        common.put("bootstrap.servers", bootstrap());
        Admin admin = Admin.create(common);
        try {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3)
                .configs(Map.of("min.insync.replicas", "2")))).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                admin.close();
                throw e;
            }
        }
        Properties p = new Properties();
        p.putAll(common);
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        p.put("linger.ms", "0");
        p.put("request.timeout.ms", "2000");
        p.put("delivery.timeout.ms", "30000");
        p.put("retry.backoff.ms", "20");
        p.put("retry.backoff.max.ms", "200");
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        if (transactional) {
            p.put("transactional.id", TOPIC + "-leader");
        }
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p);
        if (transactional) {
            producer.initTransactions();
        }
        return new KafkaWriter(admin, producer, transactional);
    }

    private record KafkaWriter(Admin admin, KafkaProducer<byte[], byte[]> producer, boolean transactional)
            implements Writer {

        @Override
        public void commit(byte[] entry) throws Exception {
            if (transactional) {
                producer.beginTransaction();
            }
            producer.send(new ProducerRecord<>(TOPIC, 0, null, entry)).get();
            if (transactional) {
                producer.commitTransaction();
            }
        }

        @Override
        public int leader() throws Exception {
            return admin.describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC).partitions().get(0)
                .leader().id();
        }

        @Override
        public void close() {
            producer.close(java.time.Duration.ofSeconds(2));
            admin.close(java.time.Duration.ofSeconds(2));
        }
    }
}
