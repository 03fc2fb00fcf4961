// SPDX-License-Identifier: Apache-2.0
// Kafka's Java AdminClient doing what kafka-configs.sh and kafka-acls.sh
// do against a KRaft cluster (the same Admin calls), for
// tests/cluster/test_cluster_security.py. Run as a single source file:
//   java -cp 'lib/*' SecurityAdmin.java BOOTSTRAP COMMAND ARGS...
// Commands:
//   setup USER PASSWORD TOPIC CLIENT_ID
//       a SCRAM-SHA-256 user, an ALLOW Read ACL for it on TOPIC, a
//       producer_byte_rate quota of 2048 for CLIENT_ID, and the cluster
//       default log.retention.ms=7777777 (incremental alter)
//   login USER PASSWORD
//       describeCluster over SASL_PLAINTEXT SCRAM-SHA-256: prints
//       "node ID HOST:PORT" for each broker
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class SecurityAdmin {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        if (args[1].equals("login")) {
            p.put("security.protocol", "SASL_PLAINTEXT");
            p.put("sasl.mechanism", "SCRAM-SHA-256");
            p.put("sasl.jaas.config",
                  "org.apache.kafka.common.security.scram.ScramLoginModule "
                  + "required username=\"" + args[2] + "\" password=\""
                  + args[3] + "\";");
        }
        try (Admin admin = Admin.create(p)) {
            if (args[1].equals("login")) {
                for (Node n : admin.describeCluster().nodes().get()) {
                    System.out.println("node " + n.id() + " " + n.host() + ":"
                                       + n.port());
                }
                return;
            }
            String user = args[2], password = args[3], topic = args[4],
                   clientId = args[5];
            admin.alterUserScramCredentials(List.of(
                new UserScramCredentialUpsertion(
                    user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096),
                    password))).all().get();
            admin.createAcls(List.of(new AclBinding(
                new ResourcePattern(ResourceType.TOPIC, topic,
                                    PatternType.LITERAL),
                new AccessControlEntry("User:" + user, "*", AclOperation.READ,
                                       AclPermissionType.ALLOW))))
                .all().get();
            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(
                new ClientQuotaEntity(
                    Map.of(ClientQuotaEntity.CLIENT_ID, clientId)),
                List.of(new ClientQuotaAlteration.Op("producer_byte_rate",
                                                     2048.0)))))
                .all().get();
            admin.incrementalAlterConfigs(Map.of(
                new ConfigResource(ConfigResource.Type.BROKER, ""),
                List.of(new AlterConfigOp(
                    new ConfigEntry("log.retention.ms", "7777777"),
                    AlterConfigOp.OpType.SET)))).all().get();
            System.out.println("setup done");
        }
    }
}
