// SPDX-License-Identifier: Apache-2.0
/*
 * MirrorMaker 2's own client (connect-mirror-client 3.8.0) reading what
 * source-mirror wrote on a Samsa cluster: RemoteClusterUtils finds the
 * checkpoints and heartbeats topics and translates a group's offsets from
 * <alias>.checkpoints.internal. Prints one line per finding:
 *   checkpoints <topic>            (every checkpoints topic)
 *   heartbeats <topic>             (every heartbeats topic)
 *   offset <topic> <partition> <offset>   (the group's translated offsets)
 *
 *   java -cp 'lib/*' SamsaJavaMirror.java <bootstrap> <source-alias> <group>
 */
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.mirror.RemoteClusterUtils;

public class SamsaJavaMirror {
    public static void main(String[] args) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", args[0]);
        for (String t : new TreeSet<>(RemoteClusterUtils.checkpointTopics(props))) {
            System.out.println("checkpoints " + t);
        }
        for (String t : new TreeSet<>(RemoteClusterUtils.heartbeatTopics(props))) {
            System.out.println("heartbeats " + t);
        }
        Map<TopicPartition, OffsetAndMetadata> offs = RemoteClusterUtils.translateOffsets(
            props, args[1], args[2], Duration.ofSeconds(20));
        TreeSet<String> lines = new TreeSet<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offs.entrySet()) {
            lines.add("offset " + e.getKey().topic() + " " + e.getKey().partition()
                      + " " + e.getValue().offset());
        }
        lines.forEach(System.out::println);
    }
}
