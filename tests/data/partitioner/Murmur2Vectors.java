// SPDX-License-Identifier: Apache-2.0
// Ground truth for Samsa's Java-compatible murmur2 partitioner tests.
// Calls the Kafka Java client's own Utils.murmur2 / Utils.toPositive and
// prints one line per key:
//   <key as hex, "-" for the empty key> <murmur2 as signed int32>
//   <partition for 1 partition> ... <partition for 12 partitions>
// Regenerate with gen_vectors.sh (needs java, mvn, kafka-clients 3.8.0).
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

public class Murmur2Vectors {
    private static String hex(byte[] b) {
        if (b.length == 0) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    private static void emit(byte[] key) {
        int h = Utils.murmur2(key);
        StringBuilder sb = new StringBuilder();
        sb.append(hex(key)).append(' ').append(h);
        for (int n = 1; n <= 12; n++) {
            sb.append(' ').append(Utils.toPositive(h) % n);
        }
        System.out.println(sb);
    }

    public static void main(String[] args) {
        String[] keys = {
            "", "a", "ab", "abc", "abcd", "abcde", "21", "foobar",
            "a-little-bit-long-string", "a-little-bit-longer-string",
            "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
            "user-1", "user-2", "user-3", "order#42", "key", "hot-key",
            "hot-key#0", "hot-key#1", "hot-key#2", "hot-key#3",
            "eu|42", "us|7", "\u00e9t\u00e9", "The quick brown fox jumps",
        };
        for (String k : keys) {
            emit(k.getBytes(StandardCharsets.UTF_8));
        }
        // Binary keys: every tail length, bytes with the high bit set
        // (Java's signed bytes are where ports usually go wrong).
        for (int len = 1; len <= 9; len++) {
            byte[] b = new byte[len];
            for (int i = 0; i < len; i++) {
                b[i] = (byte) (0xf0 + i * 3);
            }
            emit(b);
        }
        for (int i = 0; i < 40; i++) {
            emit(("key-" + i).getBytes(StandardCharsets.UTF_8));
        }
    }
}
