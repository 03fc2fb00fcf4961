// SPDX-License-Identifier: Apache-2.0
/*
 * Transactions through the Java client (kafka-clients 3.8.0) against Samsa:
 *   1. a transactional producer commits, aborts (after flushing, so the
 *      aborted records are in the log) and commits again; a read_committed
 *      consumer sees the committed records only, a read_uncommitted one
 *      sees all of them;
 *   2. a second producer with the same transactional.id fences the first:
 *      the zombie's next transaction fails with ProducerFencedException;
 *   3. a consume-transform-produce loop: a read_committed group consumer
 *      reads an input topic, a transactional producer writes the upper-
 *      cased values and sendOffsetsToTransaction commits the group's
 *      offsets in the same transaction; the group's committed offsets and
 *      the output appear only after commitTransaction;
 *   4. the admin APIs of KIP-664 on an open transaction: listTransactions,
 *      describeTransactions (Ongoing, its partition) and describeProducers
 *      (the producer with its transaction's start offset), then
 *      CompleteAbort after abortTransaction.
 * Prints "ok" last; exits 1 with a FAIL line on the first failed check.
 *
 *   java -cp 'lib/*' SamsaJavaTxn.java <bootstrap> <topic-prefix>
 */
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class SamsaJavaTxn {
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

    static KafkaProducer<String, String> txnProducer(String txnId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    static KafkaConsumer<String, String> consumer(String group, String isolation) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (group != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    /* Every value of the topic's partitions from the beginning up to the
     * end offsets the consumer reports for its isolation level. */
    static List<String> readAll(String topic, int partitions, String isolation) {
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = consumer(null, isolation)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                tps.add(new TopicPartition(topic, i));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.currentTimeMillis() + T * 1000;
            while (System.currentTimeMillis() < deadline) {
                boolean done = true;
                for (TopicPartition tp : tps) {
                    done &= c.position(tp) >= end.get(tp);
                }
                if (done) {
                    break;
                }
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    out.add(r.value());
                }
            }
        }
        out.sort(null);
        return out;
    }

    static List<String> values(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(prefix + i);
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        bootstrap = args[0];
        String prefix = args[1];
        String out = prefix + "-out", in = prefix + "-in", ctp = prefix + "-ctp";
        Properties ap = new Properties();
        ap.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(ap)) {
            admin.createTopics(List.of(new NewTopic(out, 2, (short) 1),
                                       new NewTopic(in, 2, (short) 1),
                                       new NewTopic(ctp, 2, (short) 1)))
                .all().get(T, TimeUnit.SECONDS);
            commitAndAbort(out);
            zombie(out);
            consumeTransformProduce(admin, in, ctp, prefix + "-group");
            adminApis(admin, out);
        }
        System.out.println("ok");
    }

    static void commitAndAbort(String topic) {
        try (KafkaProducer<String, String> p = txnProducer("java-txn")) {
            p.initTransactions();
            p.beginTransaction();
            for (String v : values("c1-", 10)) {
                p.send(new ProducerRecord<>(topic, v, v));
            }
            p.commitTransaction();
            p.beginTransaction();
            for (String v : values("a-", 10)) {
                p.send(new ProducerRecord<>(topic, v, v));
            }
            p.flush();
            p.abortTransaction();
            p.beginTransaction();
            for (String v : values("c2-", 10)) {
                p.send(new ProducerRecord<>(topic, v, v));
            }
            p.commitTransaction();
        }
        List<String> committed = new ArrayList<>(values("c1-", 10));
        committed.addAll(values("c2-", 10));
        committed.sort(null);
        List<String> all = new ArrayList<>(committed);
        all.addAll(values("a-", 10));
        all.sort(null);
        List<String> rc = readAll(topic, 2, "read_committed");
        check(rc.equals(committed), "read_committed saw " + rc);
        List<String> ru = readAll(topic, 2, "read_uncommitted");
        check(ru.equals(all), "read_uncommitted saw " + ru);
        System.out.println("commit/abort: read_committed " + rc.size() +
                           ", read_uncommitted " + ru.size());
    }

    static void zombie(String topic) {
        KafkaProducer<String, String> old = txnProducer("java-zombie");
        old.initTransactions();
        old.beginTransaction();
        old.send(new ProducerRecord<>(topic, "z", "zombie-open"));
        old.flush();
        try (KafkaProducer<String, String> fresh = txnProducer("java-zombie")) {
            // The new instance bumps the epoch and aborts the open transaction.
            fresh.initTransactions();
            fresh.beginTransaction();
            fresh.send(new ProducerRecord<>(topic, "z", "fresh"));
            fresh.commitTransaction();
        }
        // The zombie's produce is refused (INVALID_PRODUCER_EPOCH, abortable
        // since KIP-588); its EndTxn is then refused as fenced, which is
        // fatal: the zombie can do nothing more.
        boolean fenced = false;
        try {
            old.send(new ProducerRecord<>(topic, "z", "zombie-late"));
            old.commitTransaction();
            fail("the zombie committed");
        } catch (ProducerFencedException e) {
            fenced = true;
        } catch (KafkaException e) {
            try {
                old.abortTransaction();
            } catch (ProducerFencedException f) {
                fenced = true;
            }
        }
        old.close(Duration.ofSeconds(5));
        check(fenced, "the zombie producer was not fenced");
        List<String> rc = readAll(topic, 2, "read_committed");
        check(rc.contains("fresh") && !rc.contains("zombie-open") &&
              !rc.contains("zombie-late"), "after fencing read_committed saw " + rc);
        System.out.println("zombie fenced");
    }

    static void consumeTransformProduce(Admin admin, String in, String out, String group)
        throws Exception {
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> plain = new KafkaProducer<>(pp)) {
            for (String v : values("in-", 20)) {
                plain.send(new ProducerRecord<>(in, v, v));
            }
        }
        int seen = 0;
        try (KafkaConsumer<String, String> c = consumer(group, "read_committed");
             KafkaProducer<String, String> p = txnProducer("java-ctp")) {
            p.initTransactions();
            c.subscribe(List.of(in));
            long deadline = System.currentTimeMillis() + T * 1000;
            while (seen < 20 && System.currentTimeMillis() < deadline) {
                var records = c.poll(Duration.ofMillis(200));
                if (records.isEmpty()) {
                    continue;
                }
                p.beginTransaction();
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                for (ConsumerRecord<String, String> r : records) {
                    p.send(new ProducerRecord<>(out, r.key(), r.value().toUpperCase()));
                    offsets.put(new TopicPartition(r.topic(), r.partition()),
                                new OffsetAndMetadata(r.offset() + 1));
                    seen++;
                }
                p.sendOffsetsToTransaction(offsets, c.groupMetadata());
                p.commitTransaction();
            }
        }
        check(seen == 20, "consume-transform-produce saw " + seen + " of 20");
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(T, TimeUnit.SECONDS);
        long total = 0;
        for (OffsetAndMetadata o : committed.values()) {
            total += o.offset();
        }
        check(total == 20, "group offsets committed by the transactions: " + committed);
        List<String> expect = new ArrayList<>();
        for (String v : values("in-", 20)) {
            expect.add(v.toUpperCase());
        }
        expect.sort(null);
        List<String> rc = readAll(out, 2, "read_committed");
        check(rc.equals(expect), "transformed output " + rc);
        System.out.println("consume-transform-produce: " + seen + " records, offsets " + total);
    }

    static void adminApis(Admin admin, String topic) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaProducer<String, String> p = txnProducer("java-open")) {
            p.initTransactions();
            p.beginTransaction();
            p.send(new ProducerRecord<>(topic, 0, "k", "open")).get(T, TimeUnit.SECONDS);
            TransactionListing listing = null;
            for (TransactionListing l : admin.listTransactions().all().get(T, TimeUnit.SECONDS)) {
                if (l.transactionalId().equals("java-open")) {
                    listing = l;
                }
            }
            check(listing != null && listing.state() == TransactionState.ONGOING,
                  "listTransactions: " + listing);
            TransactionDescription d = admin.describeTransactions(List.of("java-open"))
                .description("java-open").get(T, TimeUnit.SECONDS);
            check(d.state() == TransactionState.ONGOING && d.topicPartitions().contains(tp) &&
                  d.producerId() == listing.producerId() && d.transactionStartTimeMs().isPresent(),
                  "describeTransactions: " + d);
            ProducerState ps = null;
            for (ProducerState s : admin.describeProducers(List.of(tp)).partitionResult(tp)
                     .get(T, TimeUnit.SECONDS).activeProducers()) {
                if (s.producerId() == d.producerId()) {
                    ps = s;
                }
            }
            check(ps != null && ps.currentTransactionStartOffset().isPresent() &&
                  ps.producerEpoch() == d.producerEpoch(), "describeProducers: " + ps);
            p.abortTransaction();
            d = admin.describeTransactions(List.of("java-open"))
                .description("java-open").get(T, TimeUnit.SECONDS);
            check(d.state() == TransactionState.COMPLETE_ABORT, "after abort: " + d);
            System.out.println("admin: " + listing.state() + ", producer at " +
                               ps.currentTransactionStartOffset().getAsLong());
        }
    }
}
