# SPDX-License-Identifier: Apache-2.0
"""The ACL authorizer (authorizer-acl) with SASL PLAIN users: deny by
default, super users, CreateAcls/DescribeAcls/DeleteAcls through
confluent-kafka's AdminClient, WRITE gates produce, READ gates fetch and
group join, prefixed ACLs, DENY beats ALLOW, and topics a user may not
describe vanish from Metadata, and Metadata's auto-creation needs
CREATE."""
import os
import shutil
import socket
import time

import pytest

import confluent_kafka
from confluent_kafka import KafkaError
from confluent_kafka.admin import AdminClient
from kafka.admin import (ACL, ACLFilter, ACLOperation as AclOperation,
                         ACLPermissionType as AclPermissionType,
                         ACLResourcePatternType as ResourcePatternType,
                         KafkaAdminClient, NewTopic, ResourcePattern,
                         ResourcePatternFilter, ResourceType)
from kafka.conn import BrokerConnection
from kafka.protocol.metadata import MetadataRequest

from samsa_harness import Broker, free_port, new_workdir

USERS = {"admin": "admin-secret", "alice": "alice-secret"}


def secured_broker(acl_config=""):
    """A broker with SASL PLAIN and the ACL authorizer (admin a super
    user; @acl_config: more of the authorizer's options), started."""
    workdir = new_workdir()
    users = os.path.join(workdir, "plain-users")
    with open(users, "w") as f:
        f.write("".join("%s:%s\n" % kv for kv in USERS.items()))
    b = Broker(workdir)
    b.workdir = workdir
    with open(os.path.join(b.conf_dir, "40-security.yaml"), "w") as f:
        f.write("plugins:\n"
                "  - name: plain\n    plugin: sasl-plain\n"
                "    config: {users_file: %s}\n"
                "  - name: acl\n    plugin: authorizer-acl\n"
                "    config: {super_users: [\"User:admin\"]%s}\n"
                % (users, acl_config))
    b.sasl_port = free_port()
    b.args += ["--listen", "SASL_PLAINTEXT://127.0.0.1:%d" % b.sasl_port]
    b.start()
    b.admin = kp_admin(b, "admin")
    b.admin.create_topics([NewTopic(t, 1, 1) for t in (
        "orders", "logs-a", "other", "secret")])
    return b


def stop(b):
    b.admin.close()
    alive = b.alive()
    rc = b.stop()
    log = b.log_text()
    shutil.rmtree(b.workdir, ignore_errors=True)
    assert alive and rc == 0, "samsad failed:\n" + log


@pytest.fixture
def acl_broker():
    b = secured_broker()
    yield b
    stop(b)


def conf(b, user):
    return {"bootstrap.servers": "127.0.0.1:%d" % b.sasl_port,
            "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
            "sasl.username": user, "sasl.password": USERS[user]}


def kp_admin(b, user):
    """kafka-python's admin client (it has the ACL APIs)."""
    return KafkaAdminClient(
        bootstrap_servers="127.0.0.1:%d" % b.sasl_port,
        security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
        sasl_plain_username=user, sasl_plain_password=USERS[user])


def acl(rtype, name, op, perm=AclPermissionType.ALLOW,
        pattern=ResourcePatternType.LITERAL, principal="User:alice",
        host="*"):
    return ACL(principal=principal, host=host, operation=op,
               permission_type=perm,
               resource_pattern=ResourcePattern(rtype, name, pattern))


def grant(b, *acls):
    out = b.admin.create_acls(list(acls))
    assert not out["failed"], out


def everything():
    return ACLFilter(principal=None, host=None, operation=AclOperation.ANY,
                     permission_type=AclPermissionType.ANY,
                     resource_pattern=ResourcePatternFilter(
                         ResourceType.ANY, None, ResourcePatternType.ANY))


def produce(b, user, topic):
    """The delivery error code of one record (None: written)."""
    p = confluent_kafka.Producer(dict(conf(b, user), **{
        "message.timeout.ms": 5000}))
    errs = []
    p.produce(topic, b"x", partition=0,
              on_delivery=lambda err, msg: errs.append(err))
    p.flush(15)
    assert len(errs) == 1
    return errs[0].code() if errs[0] else None


def test_deny_by_default_and_super_user(acl_broker):
    b = acl_broker
    assert produce(b, "alice", "orders") == \
        KafkaError.TOPIC_AUTHORIZATION_FAILED
    assert produce(b, "admin", "orders") is None
    # Anonymous PLAINTEXT clients have no ACL either.
    md = AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=10)
    assert "orders" not in md.topics


def test_write_acl_allows_produce_and_describe(acl_broker):
    b = acl_broker
    grant(b, acl(ResourceType.TOPIC, "orders", AclOperation.WRITE))
    assert produce(b, "alice", "orders") is None
    # WRITE implies DESCRIBE: only that topic is visible to alice.
    md = AdminClient(conf(b, "alice")).list_topics(timeout=10)
    assert "orders" in md.topics and "other" not in md.topics


def test_prefixed_acl(acl_broker):
    b = acl_broker
    grant(b, acl(ResourceType.TOPIC, "logs-", AclOperation.WRITE,
                 pattern=ResourcePatternType.PREFIXED))
    assert produce(b, "alice", "logs-a") is None
    assert produce(b, "alice", "other") == \
        KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_an_acl_holds_for_its_host_only(acl_broker):
    """An ACL names the client's address (or * for any): alice, on
    127.0.0.1, gains nothing from a grant to another host."""
    b = acl_broker
    grant(b, acl(ResourceType.TOPIC, "orders", AclOperation.WRITE,
                 host="10.9.9.9"))
    assert produce(b, "alice", "orders") == \
        KafkaError.TOPIC_AUTHORIZATION_FAILED
    grant(b, acl(ResourceType.TOPIC, "orders", AclOperation.WRITE,
                 host="127.0.0.1"))
    assert produce(b, "alice", "orders") is None
    grant(b, acl(ResourceType.TOPIC, "orders", AclOperation.WRITE,
                 perm=AclPermissionType.DENY, host="10.9.9.9"))
    assert produce(b, "alice", "orders") is None
    grant(b, acl(ResourceType.TOPIC, "orders", AclOperation.WRITE,
                 perm=AclPermissionType.DENY, host="127.0.0.1"))
    assert produce(b, "alice", "orders") == \
        KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_allow_everyone_if_no_acl_found():
    """allow_everyone_if_no_acl_found: true (Kafka's
    allow.everyone.if.no.acl.found): a topic without any ACL is open to
    all; one with an ACL, even another user's, is closed to the rest."""
    b = secured_broker(", allow_everyone_if_no_acl_found: true")
    try:
        assert produce(b, "alice", "other") is None
        grant(b, acl(ResourceType.TOPIC, "secret", AclOperation.WRITE,
                     principal="User:bob"))
        assert produce(b, "alice", "secret") == \
            KafkaError.TOPIC_AUTHORIZATION_FAILED
    finally:
        stop(b)


def test_deny_beats_allow(acl_broker):
    b = acl_broker
    grant(b, acl(ResourceType.TOPIC, "*", AclOperation.ALL),
          acl(ResourceType.TOPIC, "secret", AclOperation.WRITE,
              AclPermissionType.DENY))
    assert produce(b, "alice", "other") is None
    assert produce(b, "alice", "secret") == \
        KafkaError.TOPIC_AUTHORIZATION_FAILED


def consume_error(b, group):
    c = confluent_kafka.Consumer(dict(conf(b, "alice"), **{
        "group.id": group, "auto.offset.reset": "earliest"}))
    c.subscribe(["orders"])
    try:
        for _ in range(20):
            m = c.poll(1)
            if m is not None and m.error():
                return m.error().code()
            if m is not None:
                return None
        return "timeout"
    finally:
        c.close()


def test_read_acls_gate_fetch_and_group_join(acl_broker):
    b = acl_broker
    assert produce(b, "admin", "orders") is None
    # No READ on the group: the join is refused.
    grant(b, acl(ResourceType.TOPIC, "orders", AclOperation.READ))
    assert consume_error(b, "g1") == KafkaError.GROUP_AUTHORIZATION_FAILED
    # READ on the group but none on the topic: no fetch.
    grant(b, acl(ResourceType.GROUP, "g2", AclOperation.READ))
    (_, deleted, err), = b.admin.delete_acls([ACLFilter(
        principal="User:alice", host=None, operation=AclOperation.READ,
        permission_type=AclPermissionType.ALLOW,
        resource_pattern=ResourcePatternFilter(
            ResourceType.TOPIC, "orders", ResourcePatternType.LITERAL))])
    assert len(deleted) == 1 and err.errno == 0
    assert consume_error(b, "g2") == KafkaError.TOPIC_AUTHORIZATION_FAILED
    # Both: records come.
    grant(b, acl(ResourceType.TOPIC, "orders", AclOperation.READ))
    assert consume_error(b, "g2") is None


def test_describe_acls_and_who_may_change_them(acl_broker):
    b = acl_broker
    grant(b, acl(ResourceType.TOPIC, "orders", AclOperation.WRITE))
    got, err = b.admin.describe_acls(everything())
    assert [(a.resource_pattern.resource_name, a.principal, a.operation)
            for a in got] == [("orders", "User:alice", AclOperation.WRITE)]
    alice = kp_admin(b, "alice")
    out = alice.create_acls([acl(ResourceType.TOPIC, "other",
                                 AclOperation.WRITE)])
    alice.close()
    assert not out["succeeded"] and len(out["failed"]) == 1
    # The ACLs survive a restart.
    b.restart()
    assert produce(b, "alice", "orders") is None


def test_other_apis_check_acls(acl_broker):
    """DescribeConfigs, CreatePartitions, OffsetFetch and ListGroups each
    ask the authorizer."""
    from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions
    b = acl_broker
    alice = kp_admin(b, "alice")
    resp = alice.describe_configs([ConfigResource(ConfigResourceType.TOPIC,
                                                  "orders")])
    assert resp[0].resources[0][0] == 29  # TOPIC_AUTHORIZATION_FAILED
    with pytest.raises(Exception, match="Authorization"):
        alice.create_partitions({"orders": NewPartitions(2)})
    with pytest.raises(Exception, match="Authorization"):
        alice.list_consumer_group_offsets("g")
    # DESCRIBE on the topic and group: allowed, and ListGroups shows only
    # the group alice may describe.
    grant(b, acl(ResourceType.TOPIC, "orders", AclOperation.DESCRIBE),
          acl(ResourceType.TOPIC, "orders", AclOperation.DESCRIBE_CONFIGS),
          acl(ResourceType.GROUP, "g", AclOperation.READ))
    resp = alice.describe_configs([ConfigResource(ConfigResourceType.TOPIC,
                                                  "orders")])
    assert resp[0].resources[0][0] == 0
    assert alice.list_consumer_group_offsets("g") == {}
    assert alice.list_consumer_groups() == []
    alice.close()


def test_samsa_cli_command_config_authenticates(acl_broker, tmp_path):
    import subprocess
    from samsa_harness import SAMSA_CLI
    b = acl_broker

    def cli(user, *args):
        props = tmp_path / (user + ".properties")
        props.write_text(
            "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
            "sasl.jaas.config=org.apache.kafka.common.security.plain."
            "PlainLoginModule required username=\"%s\" password=\"%s\";\n"
            % (user, USERS[user]))
        return subprocess.run(
            [SAMSA_CLI] + list(args) + ["-b", "127.0.0.1:%d" % b.sasl_port,
                                        "--command-config", str(props)],
            capture_output=True, text=True, timeout=30)
    out = cli("admin", "topic", "create", "from-cli")
    assert out.returncode == 0, out.stderr
    out = cli("alice", "topic", "create", "alice-topic")
    assert out.returncode == 1
    assert "TOPIC_AUTHORIZATION_FAILED" in out.stderr, out.stderr
    out = cli("admin", "topic", "list")
    assert "from-cli" in out.stdout
    assert "from-cli" not in cli("alice", "topic", "list").stdout
    bad = tmp_path / "bad.properties"
    bad.write_text("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                   "sasl.username=alice\nsasl.password=wrong\n")
    out = subprocess.run([SAMSA_CLI, "topic", "list", "-b",
                          "127.0.0.1:%d" % b.sasl_port, "--command-config",
                          str(bad)], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 1 and "SASL PLAIN as alice" in out.stderr, \
        out.stderr


def transaction(b, user, txn_id):
    """init_transactions + one committed record on "orders": the error code
    of the first step that fails (None: committed)."""
    p = confluent_kafka.Producer(dict(conf(b, user), **{
        "transactional.id": txn_id, "transaction.timeout.ms": 10000}))
    try:
        p.init_transactions(10)
        p.begin_transaction()
        p.produce("orders", b"t", partition=0)
        p.commit_transaction(10)
    except confluent_kafka.KafkaException as e:
        return e.args[0].code()
    return None


def test_transactional_id_needs_write(acl_broker):
    b = acl_broker
    grant(b, acl(ResourceType.TOPIC, "orders", AclOperation.WRITE))
    assert transaction(b, "alice", "tx-alice") == \
        KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    grant(b, acl(ResourceType.TRANSACTIONAL_ID, "tx-alice", AclOperation.WRITE))
    assert transaction(b, "alice", "tx-alice") is None
    assert transaction(b, "alice", "tx-other") == \
        KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED


def test_samsa_acl_cli(acl_broker, tmp_path):
    import subprocess
    from samsa_harness import SAMSA_CLI
    b = acl_broker
    props = tmp_path / "admin.properties"
    props.write_text("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                     "sasl.username=admin\nsasl.password=admin-secret\n")

    def acl_cli(*args):
        return subprocess.run(
            [SAMSA_CLI, "acl"] + list(args) +
            ["-b", "127.0.0.1:%d" % b.sasl_port, "--command-config",
             str(props)], capture_output=True, text=True, timeout=30)
    out = acl_cli("add", "--allow", "User:alice", "--operation", "Write",
                  "--topic", "logs-", "--prefixed")
    assert out.returncode == 0, out.stderr
    assert produce(b, "alice", "logs-a") is None
    out = acl_cli("list")
    assert out.stdout.splitlines() == [
        "Topic:prefix logs-  User:alice ALLOW Write from *"], out.stdout
    out = acl_cli("remove", "--topic", "logs-", "--prefixed")
    assert out.returncode == 0 and "removed 1" in out.stdout, out.stderr
    assert produce(b, "alice", "logs-a") == \
        KafkaError.TOPIC_AUTHORIZATION_FAILED
    assert acl_cli("add", "--topic", "x").returncode == 2


def test_leave_group_and_offset_delete_ask_the_authorizer(acl_broker):
    """Anonymous PLAINTEXT clients have no ACL: both are refused with
    GROUP_AUTHORIZATION_FAILED (30)."""
    import socket
    import struct
    from kafka_wire import frame, read_frame
    b = acl_broker

    def s16(x):
        return struct.pack(">h", len(x)) + x
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
        s.sendall(frame(13, 0, 1, s16(b"g") + s16(b"m")))  # LeaveGroup v0
        assert struct.unpack(">h", read_frame(s)[4:6])[0] == 30
        body = s16(b"g") + struct.pack(">i", 1) + s16(b"orders") + \
            struct.pack(">ii", 1, 0)
        s.sendall(frame(47, 0, 2, body))  # OffsetDelete v0
        assert struct.unpack(">h", read_frame(s)[4:6])[0] == 30


def test_write_txn_markers_needs_cluster_action(acl_broker, tmp_path):
    """`samsa txn abort` (WriteTxnMarkers) needs ClusterAction on the
    cluster, as in Kafka."""
    import subprocess
    from samsa_harness import SAMSA_CLI
    b = acl_broker
    props = tmp_path / "alice.properties"
    props.write_text("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                     "sasl.username=alice\nsasl.password=alice-secret\n")

    def abort():
        return subprocess.run(
            [SAMSA_CLI, "txn", "abort", "--topic", "orders", "--partition",
             "0", "--producer-id", "4242", "--producer-epoch", "0", "-b",
             "127.0.0.1:%d" % b.sasl_port, "--command-config", str(props)],
            capture_output=True, text=True, timeout=30)
    grant(b, acl(ResourceType.TOPIC, "orders", AclOperation.DESCRIBE))
    out = abort()
    assert out.returncode == 1, out
    assert "CLUSTER_AUTHORIZATION_FAILED" in out.stderr, out.stderr
    grant(b, acl(ResourceType.CLUSTER, "kafka-cluster",
                 AclOperation.CLUSTER_ACTION))
    out = abort()
    assert out.returncode == 0, out.stderr


def metadata_error(b, user, topic, create):
    """The error code of @topic in a Metadata v4 made as @user."""
    conn = BrokerConnection("127.0.0.1", b.sasl_port, socket.AF_INET,
                            security_protocol="SASL_PLAINTEXT",
                            sasl_mechanism="PLAIN",
                            sasl_plain_username=user,
                            sasl_plain_password=USERS[user],
                            api_version=(2, 5, 0))
    assert conn.connect_blocking(timeout=10)
    try:
        fut = conn.send(MetadataRequest[4](topics=[topic],
                                           allow_auto_topic_creation=create))
        deadline = time.monotonic() + 10
        while not fut.is_done and time.monotonic() < deadline:
            for resp, f in conn.recv():
                f.success(resp)
            time.sleep(0.01)
        assert fut.succeeded(), fut.exception
        return fut.value.topics[0][0]
    finally:
        conn.close()


def test_auto_creation_needs_create(acl_broker):
    # As in Kafka: WRITE (so DESCRIBE) on a missing topic lets Metadata
    # say it is unknown, but creating it needs CREATE on it or the cluster.
    b = acl_broker
    grant(b, acl(ResourceType.TOPIC, "auto-", AclOperation.WRITE,
                 pattern=ResourcePatternType.PREFIXED))
    assert metadata_error(b, "alice", "auto-a", False) == \
        KafkaError.UNKNOWN_TOPIC_OR_PART
    assert metadata_error(b, "alice", "auto-a", True) == \
        KafkaError.TOPIC_AUTHORIZATION_FAILED
    grant(b, acl(ResourceType.TOPIC, "auto-", AclOperation.CREATE,
                 pattern=ResourcePatternType.PREFIXED))
    assert metadata_error(b, "alice", "auto-a", True) == 0
    assert "auto-a" in b.admin.list_topics()


def test_kafka_acls_tool(acl_broker, tmp_path):
    """Apache Kafka's kafka-acls.sh (org.apache.kafka.tools.AclCommand,
    kafka-tools 4.0.2) with --bootstrap-server and --command-config (the
    super user's SASL client properties): --add READ for alice on topic
    orders and on the prefixed group app-, --list prints both, a MATCH
    filter on group app-1 finds the prefixed one, alice can consume only
    while they exist, one --remove --force (pattern type ANY) takes
    them away."""
    from kafka_cli import kafka_tool
    b = acl_broker
    props = tmp_path / "admin.properties"
    props.write_text(
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
        "sasl.jaas.config=org.apache.kafka.common.security.plain."
        "PlainLoginModule required username=\"admin\" "
        "password=\"admin-secret\";\n")

    def acls(*args):
        out = kafka_tool("AclCommand", "--bootstrap-server",
                         "127.0.0.1:%d" % b.sasl_port, "--command-config",
                         str(props), *args)
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    def listed(*args):
        """--list's blocks: {resource pattern: [its ACL lines]}."""
        blocks = {}
        for block in acls("--list", *args).split("Current ACLs for "
                                                 "resource ")[1:]:
            head, *entries = block.strip().splitlines()
            blocks[head.strip("`:")] = [e.strip() for e in entries]
        return blocks

    read = "(principal=User:alice, host=*, operation=READ, " \
        "permissionType=ALLOW)"
    topic = "ResourcePattern(resourceType=TOPIC, name=orders, " \
        "patternType=LITERAL)"
    group = "ResourcePattern(resourceType=GROUP, name=app-, " \
        "patternType=PREFIXED)"
    assert produce(b, "admin", "orders") is None
    assert consume_error(b, "app-1") in (
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.GROUP_AUTHORIZATION_FAILED)
    out = acls("--add", "--allow-principal", "User:alice", "--operation",
               "Read", "--topic", "orders")
    assert "Adding ACLs for resource `%s`" % topic in out, out
    acls("--add", "--allow-principal", "User:alice", "--operation", "Read",
         "--group", "app-", "--resource-pattern-type", "prefixed")
    assert listed() == {topic: [read], group: [read]}
    assert listed("--group", "app-1", "--resource-pattern-type",
                  "match") == {group: [read]}
    assert consume_error(b, "app-1") is None
    # One removal for both: pattern type ANY matches the literal topic
    # and the prefixed group.
    acls("--remove", "--force", "--topic", "orders", "--group", "app-",
         "--resource-pattern-type", "any")
    assert listed() == {}
    assert consume_error(b, "app-2") in (
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.GROUP_AUTHORIZATION_FAILED)
