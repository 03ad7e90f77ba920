package dev.formica.clusterbench;

/** This harness's ports: 50520-50599 on 127.0.0.1 (UDP for Aeron, TCP for Ratis and Kafka). */
final class Ports {

    static final String HOST = "127.0.0.1";

    /** Aeron node {@code i}: 50520 + 10 i + offset (offsets 1-9). */
    static int aeron(int node, int offset) {
        return 50520 + 10 * node + offset;
    }

    /** The Aeron client's egress (UDP). */
    static final int AERON_CLIENT_EGRESS = 50550;

    /** Ratis peer {@code i}: one gRPC port for peers, clients and admin. */
    static int ratis(int node) {
        return 50560 + node;
    }

    /** Kafka broker {@code i}'s client listener. */
    static int kafkaBroker(int node) {
        return 50570 + node;
    }

    /** Kafka node {@code i}'s KRaft controller listener. */
    static int kafkaController(int node) {
        return 50575 + node;
    }

    private Ports() {
    }
}
