// SPDX-License-Identifier: Apache-2.0
/*
 * More of the Java client (kafka-clients 3.8.0) against Samsa: every
 * compression type through a default (idempotent) producer and an assigned
 * consumer, a group using only the cooperative-sticky assignor, and the
 * admin calls a user runs (describeCluster, listTopics, createPartitions,
 * incrementalAlterConfigs, deleteRecords, listConsumerGroups,
 * deleteConsumerGroups, deleteTopics) and dynamic broker configs as
 * kafka-configs --entity-type brokers sets them (incrementalAlterConfigs
 * on the broker and on the cluster default, describeConfigs with sources
 * and synonyms, a read-only key refused). Prints "ok" last; exits 1 with a
 * FAIL line on the first failed check.
 *
 *   java -cp 'lib/*' SamsaJavaExtras.java <bootstrap> <topic-prefix>
 */
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class SamsaJavaExtras {
    static String bootstrap;
    static final long T = 30;

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

    static Properties producerProps() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return p;
    }

    static Properties consumerProps(String group) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (group != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return p;
    }

    public static void main(String[] args) throws Exception {
        bootstrap = args[0];
        String prefix = args[1];
        Properties ap = new Properties();
        ap.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(ap)) {
            DescribeClusterResult dc = admin.describeCluster();
            check(dc.nodes().get(T, TimeUnit.SECONDS).size() == 1, "describeCluster nodes");
            check(dc.controller().get(T, TimeUnit.SECONDS) != null, "describeCluster controller");
            check(dc.clusterId().get(T, TimeUnit.SECONDS) != null, "describeCluster cluster id");

            for (String codec : List.of("none", "gzip", "snappy", "lz4", "zstd")) {
                roundTrip(admin, prefix + "-" + codec, codec);
            }
            cooperativeGroup(admin, prefix + "-coop");
            topicAdmin(admin, prefix + "-admin");
            String node = String.valueOf(dc.nodes().get(T, TimeUnit.SECONDS).iterator().next().id());
            brokerConfigs(admin, node);
        }
        System.out.println("ok");
    }

    static void alter(Admin admin, ConfigResource res, String name, String value,
                      AlterConfigOp.OpType op) throws Exception {
        admin.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(
            new ConfigEntry(name, value), op)))).all().get(T, TimeUnit.SECONDS);
    }

    static ConfigEntry brokerEntry(Admin admin, ConfigResource res, String name) throws Exception {
        Config c = admin.describeConfigs(List.of(res), new DescribeConfigsOptions().includeSynonyms(true))
            .all().get(T, TimeUnit.SECONDS).get(res);
        ConfigEntry e = c.get(name);
        check(e != null, name + " missing from " + res);
        return e;
    }

    static List<ConfigEntry.ConfigSource> synonymSources(ConfigEntry e) {
        List<ConfigEntry.ConfigSource> out = new ArrayList<>();
        for (ConfigEntry.ConfigSynonym s : e.synonyms()) {
            out.add(s.source());
        }
        return out;
    }

    /* kafka-configs --entity-type brokers [--entity-name N | --entity-default]
     * --alter --add-config / --delete-config, as the tool sends them. */
    static void brokerConfigs(Admin admin, String node) throws Exception {
        ConfigResource def = new ConfigResource(ConfigResource.Type.BROKER, "");
        ConfigResource me = new ConfigResource(ConfigResource.Type.BROKER, node);
        alter(admin, def, "log.retention.ms", "7200000", AlterConfigOp.OpType.SET);
        ConfigEntry e = brokerEntry(admin, me, "log.retention.ms");
        check("7200000".equals(e.value()) &&
              e.source() == ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
              "cluster default log.retention.ms: " + e);
        alter(admin, me, "log.retention.ms", "3600000", AlterConfigOp.OpType.SET);
        e = brokerEntry(admin, me, "log.retention.ms");
        check("3600000".equals(e.value()) && !e.isReadOnly() &&
              e.source() == ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG,
              "per-broker log.retention.ms: " + e);
        check(synonymSources(e).equals(List.of(
                  ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG,
                  ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
                  ConfigEntry.ConfigSource.DEFAULT_CONFIG)),
              "log.retention.ms synonyms: " + e.synonyms());
        alter(admin, def, "log.cleanup.policy", "compact", AlterConfigOp.OpType.APPEND);
        e = brokerEntry(admin, me, "log.cleanup.policy");
        check("delete,compact".equals(e.value()), "APPEND log.cleanup.policy: " + e);
        check(brokerEntry(admin, me, "num.partitions").isReadOnly(), "num.partitions read-only");
        try {
            alter(admin, me, "num.partitions", "3", AlterConfigOp.OpType.SET);
            fail("num.partitions was altered");
        } catch (java.util.concurrent.ExecutionException ex) {
            check(ex.getCause() instanceof InvalidRequestException &&
                  ex.getCause().getMessage().contains("Cannot update these configs dynamically"),
                  "read-only refusal: " + ex.getCause());
        }
        alter(admin, me, "log.retention.ms", null, AlterConfigOp.OpType.DELETE);
        alter(admin, def, "log.retention.ms", null, AlterConfigOp.OpType.DELETE);
        alter(admin, def, "log.cleanup.policy", null, AlterConfigOp.OpType.DELETE);
        e = brokerEntry(admin, me, "log.retention.ms");
        check(e.source() == ConfigEntry.ConfigSource.DEFAULT_CONFIG, "after DELETE: " + e);
    }

    static void roundTrip(Admin admin, String topic, String codec) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(T, TimeUnit.SECONDS);
        Properties pp = producerProps();
        pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
        pp.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        int n = 500;
        try (KafkaProducer<String, String> p = new KafkaProducer<>(pp)) {
            for (int i = 0; i < n; i++) {
                p.send(new ProducerRecord<>(topic, "k" + i, "value " + codec + " " + i));
            }
            p.flush();
            p.send(new ProducerRecord<>(topic, "last", "last")).get(T, TimeUnit.SECONDS);
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        List<String> got = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumerProps(null))) {
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (got.size() < n + 1) {
                check(System.nanoTime() < deadline, codec + ": read " + got.size());
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    check(r.offset() == got.size(), codec + ": offset " + r.offset()
                          + " at position " + got.size());
                    got.add(r.value());
                }
            }
        }
        for (int i = 0; i < n; i++) {
            check(got.get(i).equals("value " + codec + " " + i), codec + ": record " + i
                  + " is " + got.get(i));
        }
        System.out.println(codec + ": " + got.size() + " records round trip");
    }

    static void cooperativeGroup(Admin admin, String topic) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get(T, TimeUnit.SECONDS);
        try (KafkaProducer<String, String> p = new KafkaProducer<>(producerProps())) {
            for (int i = 0; i < 200; i++) {
                p.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
            }
            p.flush();
        }
        String group = topic + "-group";
        Properties cp = consumerProps(group);
        cp.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
               CooperativeStickyAssignor.class.getName());
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cp)) {
            c.subscribe(List.of(topic));
            int seen = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (seen < 200) {
                check(System.nanoTime() < deadline, "cooperative group read " + seen);
                seen += c.poll(Duration.ofMillis(200)).count();
            }
            check(c.assignment().size() == 4, "cooperative assignment " + c.assignment());
            c.commitSync();
            var d = admin.describeConsumerGroups(List.of(group)).all()
                .get(T, TimeUnit.SECONDS).get(group);
            check("cooperative-sticky".equals(d.partitionAssignor()),
                  "assignor " + d.partitionAssignor());
        }
        Collection<ConsumerGroupListing> groups = admin.listConsumerGroups().all()
            .get(T, TimeUnit.SECONDS);
        check(groups.stream().anyMatch(g -> g.groupId().equals(group)),
              "listConsumerGroups lacks " + group);
        admin.deleteConsumerGroups(List.of(group)).all().get(T, TimeUnit.SECONDS);
        groups = admin.listConsumerGroups().all().get(T, TimeUnit.SECONDS);
        check(groups.stream().noneMatch(g -> g.groupId().equals(group)),
              "group still listed after deleteConsumerGroups");
        System.out.println("cooperative-sticky group: read, committed, deleted");
    }

    static void topicAdmin(Admin admin, String topic) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(T, TimeUnit.SECONDS);
        check(admin.listTopics().names().get(T, TimeUnit.SECONDS).contains(topic),
              "listTopics lacks " + topic);
        admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(3)))
            .all().get(T, TimeUnit.SECONDS);
        int parts = admin.describeTopics(List.of(topic)).allTopicNames()
            .get(T, TimeUnit.SECONDS).get(topic).partitions().size();
        check(parts == 3, "after createPartitions: " + parts);

        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        admin.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(
            new ConfigEntry("retention.ms", "123456"), AlterConfigOp.OpType.SET))))
            .all().get(T, TimeUnit.SECONDS);
        String v = admin.describeConfigs(List.of(res)).all().get(T, TimeUnit.SECONDS)
            .get(res).get("retention.ms").value();
        check("123456".equals(v), "retention.ms after incrementalAlterConfigs: " + v);

        try (KafkaProducer<String, String> p = new KafkaProducer<>(producerProps())) {
            for (int i = 0; i < 10; i++) {
                p.send(new ProducerRecord<>(topic, 0, null, "v" + i));
            }
            p.flush();
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        long low = admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(4)))
            .lowWatermarks().get(tp).get(T, TimeUnit.SECONDS).lowWatermark();
        check(low == 4, "deleteRecords low watermark " + low);

        admin.deleteTopics(List.of(topic)).all().get(T, TimeUnit.SECONDS);
        Set<String> names = admin.listTopics().names().get(T, TimeUnit.SECONDS);
        check(!names.contains(topic), "listTopics still has " + topic);
        System.out.println("admin: listTopics, createPartitions, incrementalAlterConfigs, "
                           + "deleteRecords, deleteTopics");
    }
}
