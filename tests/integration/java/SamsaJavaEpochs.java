// SPDX-License-Identifier: Apache-2.0
/*
 * KIP-320 position validation through the Java consumer (kafka-clients
 * 3.8.0) against Samsa: a position seeked with a leader epoch is checked
 * with OffsetForLeaderEpoch before fetching. With auto.offset.reset=none
 * the consumer either reads from the position (valid) or throws
 * LogTruncationException naming where the leader's log diverges.
 * Without cases, partition 0 of <topic> must hold 8 records, all in
 * leader epoch 0, and the cases are 5:0, 20:0 and 3:7.
 * Prints one line per case, then "ok"; exits 1 with a FAIL line.
 *
 *   java -cp 'lib/*' SamsaJavaEpochs.java <bootstrap> <topic> [offset:epoch...]
 */
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.LogTruncationException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class SamsaJavaEpochs {
    static void fail(String msg) {
        System.out.flush();
        System.err.println("FAIL: " + msg);
        System.exit(1);
    }

    /* Seek to (offset, epoch) and poll until records or a truncation. */
    static String attempt(KafkaConsumer<byte[], byte[]> c, TopicPartition tp,
                          long offset, int epoch) {
        c.seek(tp, new OffsetAndMetadata(offset, Optional.of(epoch), ""));
        long deadline = System.currentTimeMillis() + 30000;
        while (System.currentTimeMillis() < deadline) {
            try {
                ConsumerRecords<byte[], byte[]> recs =
                    c.poll(Duration.ofMillis(200));
                if (!recs.isEmpty()) {
                    return "valid " + offset + " first="
                        + recs.records(tp).get(0).offset();
                }
            } catch (LogTruncationException e) {
                Map<TopicPartition, OffsetAndMetadata> div =
                    e.divergentOffsets();
                OffsetAndMetadata d = div.get(tp);
                return "truncated " + offset + " divergent="
                    + (d == null ? "none"
                                 : d.offset() + " epoch="
                                       + d.leaderEpoch().orElse(-1));
            }
        }
        fail("no answer for offset " + offset + " epoch " + epoch);
        return null;
    }

    public static void main(String[] args) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
              ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
              ByteArrayDeserializer.class.getName());
        TopicPartition tp = new TopicPartition(args[1], 0);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            c.assign(List.of(tp));
            String[] cases = args.length > 2
                ? java.util.Arrays.copyOfRange(args, 2, args.length)
                : new String[] {"5:0", "20:0", "3:7"};
            for (String cs : cases) {
                String[] oe = cs.split(":");
                System.out.println(attempt(c, tp, Long.parseLong(oe[0]),
                                           Integer.parseInt(oe[1])));
            }
        }
        System.out.println("ok");
    }
}
