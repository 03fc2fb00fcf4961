// SPDX-License-Identifier: Apache-2.0
/*
 * Apache Kafka's own Java client (kafka-clients 3.8.0) against a Samsa
 * broker, with the client's defaults wherever the test does not need a
 * setting:
 *   - AdminClient creates a 3-partition topic, describes it and its configs;
 *   - KafkaProducer with DEFAULT settings (acks=all, idempotence on, so
 *     InitProducerId) sends keyed records and checks every RecordMetadata
 *     (offsets 0..n-1 per partition, murmur2 partition of the key);
 *   - a KafkaConsumer in a group (default assignors: range, then
 *     cooperative-sticky) reads them all and commits synchronously;
 *   - a second consumer joins the same group: both must get partitions;
 *   - AdminClient describes the group and lists its committed offsets.
 * Prints "keypart <key> <partition>" for every key (the integration test
 * checks them against what Samsa stored) and "ok" last; exits 1 with a
 * FAIL line on the first failed check.
 *
 *   java -cp 'lib/*' SamsaJavaClients.java <bootstrap> <topic> <count>
 */
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.ConsumerGroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

public class SamsaJavaClients {
    static final int PARTITIONS = 3;
    static final int KEYS = 37;

    static String bootstrap;
    static String topic;
    static String group;
    static int count;

    static void fail(String msg) {
        System.out.flush();
        System.err.println("FAIL: " + msg);
        System.exit(1);
    }

    static void check(boolean ok, String msg) {
        if (!ok) {
            fail(msg);
        }
    }

    static void step(String msg) {
        System.out.println(msg);
    }

    static String key(int i) {
        return "key-" + (i % KEYS);
    }

    static String value(int i) {
        return String.format("value-%06d", i);
    }

    /* Kafka's default partitioner for a keyed record (KafkaProducer and
     * BuiltInPartitioner): positive murmur2 of the key bytes modulo the
     * partition count. */
    static int murmur2Partition(String key) {
        byte[] b = key.getBytes(StandardCharsets.UTF_8);
        return Utils.toPositive(Utils.murmur2(b)) % PARTITIONS;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            fail("usage: SamsaJavaClients <bootstrap> <topic> <count>");
        }
        bootstrap = args[0];
        topic = args[1];
        count = Integer.parseInt(args[2]);
        group = topic + "-group";

        Properties ap = new Properties();
        ap.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(ap)) {
            createAndDescribe(admin);
            produce();
            consumeAndRebalance(admin);
        }
        step("ok");
    }

    static void createAndDescribe(Admin admin) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1)))
            .all().get(30, TimeUnit.SECONDS);
        TopicDescription td = admin.describeTopics(List.of(topic))
            .allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
        check(td != null, "describeTopics has no " + topic);
        check(td.partitions().size() == PARTITIONS,
              "describeTopics: " + td.partitions().size() + " partitions");
        check(td.topicId() != null, "describeTopics: no topic id");
        for (TopicPartitionInfo p : td.partitions()) {
            check(p.leader() != null && p.leader().id() >= 0,
                  "partition " + p.partition() + " has no leader");
            check(p.replicas().size() == 1 && p.isr().size() == 1,
                  "partition " + p.partition() + " replicas/isr " + p);
        }
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config cfg = admin.describeConfigs(List.of(res)).all()
            .get(30, TimeUnit.SECONDS).get(res);
        check(cfg != null, "describeConfigs returned nothing for " + topic);
        for (String name : List.of("cleanup.policy", "retention.ms", "segment.bytes")) {
            check(cfg.get(name) != null && cfg.get(name).value() != null,
                  "describeConfigs: no " + name);
        }
        check("delete".equals(cfg.get("cleanup.policy").value()),
              "cleanup.policy is " + cfg.get("cleanup.policy").value());
        step("created " + topic + ": " + PARTITIONS + " partitions, topic id "
             + td.topicId() + ", " + cfg.entries().size() + " configs");
    }

    static void produce() throws Exception {
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        Map<Integer, List<Long>> offsets = new TreeMap<>();
        Map<String, Integer> keyPart = new TreeMap<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
            List<Future<RecordMetadata>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                futures.add(producer.send(new ProducerRecord<>(topic, key(i), value(i))));
            }
            producer.flush();
            for (int i = 0; i < count; i++) {
                RecordMetadata md = futures.get(i).get(30, TimeUnit.SECONDS);
                check(md.hasOffset(), "record " + i + ": no offset");
                int want = murmur2Partition(key(i));
                check(md.partition() == want, "record " + i + " (" + key(i)
                      + ") went to partition " + md.partition() + ", murmur2 says " + want);
                offsets.computeIfAbsent(md.partition(), k -> new ArrayList<>()).add(md.offset());
                keyPart.put(key(i), md.partition());
            }
        }
        for (Map.Entry<Integer, List<Long>> e : offsets.entrySet()) {
            List<Long> l = e.getValue();
            l.sort(null);
            for (int i = 0; i < l.size(); i++) {
                check(l.get(i) == i, "partition " + e.getKey() + ": offset "
                      + l.get(i) + " at position " + i);
            }
        }
        for (Map.Entry<String, Integer> e : keyPart.entrySet()) {
            step("keypart " + e.getKey() + " " + e.getValue());
        }
        step("produced " + count + " records (acks=all, idempotent) to "
             + offsets.size() + " partitions");
    }

    static Properties consumerProps() {
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return cp;
    }

    static void consumeAndRebalance(Admin admin) throws Exception {
        try (KafkaConsumer<String, String> c1 = new KafkaConsumer<>(consumerProps())) {
            c1.subscribe(List.of(topic));
            Set<String> seen = new HashSet<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (seen.size() < count) {
                check(System.nanoTime() < deadline,
                      "consumed " + seen.size() + " of " + count + " in 30 s");
                for (ConsumerRecord<String, String> r : c1.poll(Duration.ofMillis(200))) {
                    check(r.partition() == murmur2Partition(r.key()), "consumed "
                          + r.key() + " from partition " + r.partition());
                    seen.add(r.value());
                }
            }
            for (int i = 0; i < count; i++) {
                check(seen.contains(value(i)), value(i) + " never consumed");
            }
            check(c1.assignment().size() == PARTITIONS,
                  "the only member has " + c1.assignment());
            c1.commitSync(Duration.ofSeconds(15));
            long committed = 0;
            Map<TopicPartition, OffsetAndMetadata> mine =
                c1.committed(c1.assignment(), Duration.ofSeconds(15));
            for (OffsetAndMetadata om : mine.values()) {
                committed += om == null ? 0 : om.offset();
            }
            check(committed == count, "committed() sums to " + committed);
            step("consumer 1 read " + seen.size() + " records and committed");

            secondMember(admin, c1);
        }
        /* Both members left: the offsets stay. */
        Map<TopicPartition, OffsetAndMetadata> offs = admin.listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        long sum = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            OffsetAndMetadata om = offs.get(new TopicPartition(topic, p));
            check(om != null, "listConsumerGroupOffsets: nothing for partition " + p);
            sum += om.offset();
        }
        check(sum == count, "listConsumerGroupOffsets sums to " + sum);
        step("listConsumerGroupOffsets: " + offs.size() + " partitions, sum " + sum);
    }

    /* A second consumer joins the group; c1 keeps polling so it takes part
     * in the rebalance. Each consumer is used by one thread only. */
    static void secondMember(Admin admin, KafkaConsumer<String, String> c1) throws Exception {
        AtomicBoolean stop = new AtomicBoolean(false);
        AtomicReference<Set<TopicPartition>> c2Assigned = new AtomicReference<>(Set.of());
        AtomicReference<Throwable> c2Error = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try (KafkaConsumer<String, String> c2 = new KafkaConsumer<>(consumerProps())) {
                c2.subscribe(List.of(topic));
                while (!stop.get()) {
                    for (ConsumerRecord<String, String> r : c2.poll(Duration.ofMillis(100))) {
                        throw new IllegalStateException("consumer 2 read " + r.value()
                            + " at " + r.partition() + "/" + r.offset()
                            + " although everything was committed");
                    }
                    c2Assigned.set(new HashSet<>(c2.assignment()));
                }
            } catch (Throwable e) {
                c2Error.set(e);
            }
        }, "consumer-2");
        t.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                check(c2Error.get() == null, "consumer 2: " + c2Error.get());
                check(System.nanoTime() < deadline, "no rebalance in 30 s: consumer 1 has "
                      + c1.assignment() + ", consumer 2 has " + c2Assigned.get());
                for (ConsumerRecord<String, String> r : c1.poll(Duration.ofMillis(100))) {
                    fail("consumer 1 read " + r.value() + " again after the rebalance");
                }
                Set<TopicPartition> a1 = c1.assignment();
                Set<TopicPartition> a2 = c2Assigned.get();
                Set<TopicPartition> all = new HashSet<>(a1);
                all.addAll(a2);
                if (!a1.isEmpty() && !a2.isEmpty() && all.size() == PARTITIONS
                    && a1.size() + a2.size() == PARTITIONS) {
                    step("rebalanced: consumer 1 has " + a1.size()
                         + " partitions, consumer 2 has " + a2.size());
                    break;
                }
            }
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group))
                .all().get(30, TimeUnit.SECONDS).get(group);
            check(d.members().size() == 2, "describeConsumerGroups: "
                  + d.members().size() + " members");
            check(d.state() == ConsumerGroupState.STABLE, "group state " + d.state());
            check("range".equals(d.partitionAssignor()),
                  "assignor " + d.partitionAssignor() + ", want range (the default's first)");
            step("describeConsumerGroups: Stable, 2 members, range");
        } finally {
            stop.set(true);
            t.join(20000);
        }
        check(c2Error.get() == null, "consumer 2: " + c2Error.get());
    }
}
