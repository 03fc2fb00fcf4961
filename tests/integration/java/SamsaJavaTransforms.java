// SPDX-License-Identifier: Apache-2.0
/*
 * Kafka Connect's own transforms and JsonConverter (connect-transforms and
 * connect-json 4.0.2) applied to what a FileStreamSource task would
 * produce for each given line (topic, no partition, no key, the line as a
 * STRING_SCHEMA value): prints, per line, the key's and the value's bytes
 * through the JsonConverter with schemas (the {"schema":...,"payload":...}
 * envelopes Kafka Connect would write; "-" for a null key) separated by a
 * tab, so a test can compare Samsa's output with them byte for byte.
 *
 *   java -cp 'kafka-tools/lib/*' SamsaJavaTransforms.java <topic> \
 *        key=value... -- line...
 * The key=value pairs are the connector's transforms settings
 * (transforms=a,b, transforms.a.type=..., transforms.a.*).
 */
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.transforms.Transformation;

public class SamsaJavaTransforms {
    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        String topic = args[0];
        Map<String, String> config = new HashMap<>();
        int i = 1;
        for (; i < args.length && !args[i].equals("--"); i++) {
            int eq = args[i].indexOf('=');
            config.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        List<Transformation<SourceRecord>> chain = new ArrayList<>();
        for (String alias : config.getOrDefault("transforms", "").split(",")) {
            alias = alias.trim();
            if (alias.isEmpty()) {
                continue;
            }
            String prefix = "transforms." + alias + ".";
            Map<String, String> own = new HashMap<>();
            for (Map.Entry<String, String> e : config.entrySet()) {
                if (e.getKey().startsWith(prefix)) {
                    own.put(e.getKey().substring(prefix.length()), e.getValue());
                }
            }
            Transformation<SourceRecord> t = (Transformation<SourceRecord>)
                Class.forName(own.remove("type")).getDeclaredConstructor().newInstance();
            t.configure(own);
            chain.add(t);
        }
        JsonConverter keys = new JsonConverter();
        keys.configure(Map.of("schemas.enable", "true"), true);
        JsonConverter json = new JsonConverter();
        json.configure(Map.of("schemas.enable", "true"), false);
        for (i++; i < args.length; i++) {
            SourceRecord r = new SourceRecord(null, null, topic, null, null, null,
                                              Schema.STRING_SCHEMA, args[i]);
            for (Transformation<SourceRecord> t : chain) {
                r = t.apply(r);
            }
            byte[] key = keys.fromConnectData(r.topic(), r.keySchema(), r.key());
            byte[] out = json.fromConnectData(r.topic(), r.valueSchema(), r.value());
            System.out.println((key == null ? "-" : new String(key, StandardCharsets.UTF_8))
                               + "\t" + new String(out, StandardCharsets.UTF_8));
        }
    }
}
