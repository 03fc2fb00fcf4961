// SPDX-License-Identifier: Apache-2.0
/*
 * The Java client (kafka-clients 3.8.0) over a secured listener, for the
 * security tests: a producer sends <count> records to partition 0 of
 * <topic>, spread over <spread-ms> (so a short SASL session lifetime
 * passes several times and the client must re-authenticate, KIP-368),
 * each acknowledged before the next; an assigned consumer reads them back.
 * Client settings (security.protocol, sasl.*, ssl.*) come from a
 * properties file, as Kafka's tools take them. Several cases run in one
 * JVM, one group of four arguments each. Per case prints
 * "reauthentications=N" (the producer's successful-reauthentication-total)
 * and "ok <topic>", or "FAIL <topic> <exception class>: <message>"; exits
 * 1 when a case failed.
 *
 * For OAUTHBEARER the properties name SamsaJavaSecure$SignedTokenLogin as
 * sasl.login.callback.handler.class and pass the signed JWT as the JAAS
 * option token="...": Kafka's default login handler sends an unsecured
 * (alg=none) token, which Samsa refuses.
 *
 *   java -cp 'lib/*' SamsaJavaSecure.java (<props> <topic> <count> <spread-ms>)...
 */
import java.io.FileInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerTokenCallback;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class SamsaJavaSecure {
    /*
     * Answers the OAUTHBEARER login's token callback with the JWT given as
     * the JAAS option "token", as is. The broker validates it; the client
     * only needs a lifetime to schedule its refresh, so it gets a fixed
     * hour rather than the token's own exp (an expired token must still be
     * sent, for the broker to refuse).
     */
    public static class SignedTokenLogin implements AuthenticateCallbackHandler {
        private String token;

        @Override
        public void configure(Map<String, ?> configs, String mechanism,
                              List<AppConfigurationEntry> entries) {
            for (AppConfigurationEntry e : entries) {
                Object t = e.getOptions().get("token");
                if (t != null) {
                    token = t.toString();
                }
            }
            if (token == null) {
                throw new IllegalArgumentException(
                    "SignedTokenLogin needs the JAAS option token=\"<JWT>\"");
            }
        }

        @Override
        public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
            for (Callback cb : callbacks) {
                if (!(cb instanceof OAuthBearerTokenCallback)) {
                    // SaslExtensionsCallback: the login module treats this
                    // as "no extensions".
                    throw new UnsupportedCallbackException(cb);
                }
                final String value = token;
                final long now = System.currentTimeMillis();
                ((OAuthBearerTokenCallback) cb).token(new OAuthBearerToken() {
                    public String value() { return value; }
                    public Set<String> scope() { return Set.of(); }
                    public long lifetimeMs() { return now + 3600_000L; }
                    public String principalName() { return "token"; }
                    public Long startTimeMs() { return now; }
                });
            }
        }

        @Override
        public void close() {
        }
    }

    public static void main(String[] args) throws Exception {
        // The source launcher's in-memory class loader, so Kafka's
        // config parsing (which loads classes through the context loader)
        // finds SignedTokenLogin by name.
        Thread.currentThread().setContextClassLoader(
            SamsaJavaSecure.class.getClassLoader());
        boolean failed = false;
        for (int a = 0; a + 4 <= args.length; a += 4) {
            Properties common = new Properties();
            try (FileInputStream in = new FileInputStream(args[a])) {
                common.load(in);
            }
            String topic = args[a + 1];
            try {
                run(common, topic, Integer.parseInt(args[a + 2]),
                    Long.parseLong(args[a + 3]));
                System.out.println("ok " + topic);
            } catch (Throwable e) {
                Throwable c = e instanceof ExecutionException && e.getCause() != null
                                  ? e.getCause() : e;
                System.out.println("FAIL " + topic + " " + c.getClass().getName() +
                                   ": " + c.getMessage());
                failed = true;
            }
        }
        System.exit(failed ? 1 : 0);
    }

    static void run(Properties common, String topic, int count, long spread)
        throws Exception {
        Properties pp = new Properties();
        pp.putAll(common);
        pp.put("key.serializer", StringSerializer.class.getName());
        pp.put("value.serializer", StringSerializer.class.getName());
        pp.put("max.block.ms", "15000");
        pp.put("delivery.timeout.ms", "20000");
        pp.put("request.timeout.ms", "10000");
        double reauths = 0;
        try (KafkaProducer<String, String> p = new KafkaProducer<>(pp)) {
            for (int i = 0; i < count; i++) {
                p.send(new ProducerRecord<>(topic, 0, null, "v" + i))
                    .get(20, TimeUnit.SECONDS);
                if (spread > 0) {
                    Thread.sleep(spread / count);
                }
            }
            for (Map.Entry<MetricName, ? extends Metric> m : p.metrics().entrySet()) {
                if (m.getKey().name().equals("successful-reauthentication-total") &&
                    m.getKey().group().equals("producer-metrics")) {
                    reauths = (Double) m.getValue().metricValue();
                }
            }
        }
        System.out.println("reauthentications=" + (long) reauths);
        Properties cp = new Properties();
        cp.putAll(common);
        cp.put("key.deserializer", StringDeserializer.class.getName());
        cp.put("value.deserializer", StringDeserializer.class.getName());
        cp.put("auto.offset.reset", "earliest");
        cp.put("enable.auto.commit", "false");
        List<String> got = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cp)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 30000;
            while (got.size() < count && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    got.add(r.value());
                }
            }
        }
        for (int i = 0; i < count; i++) {
            if (got.size() <= i || !got.get(i).equals("v" + i)) {
                throw new IllegalStateException("read back " + got.size() +
                                                " of " + count + " records");
            }
        }
    }
}
