# SPDX-License-Identifier: Apache-2.0
"""Admin requests a node forwards to the controller (KIP-590) are
authorized with the client's principal, on the node that took them and,
through the Envelope they travel in, on the controller too.

The controller sees the forwarding broker's principal (a super user: the
anonymous PLAINTEXT inter-broker principal), so a node that forwarded a
request before authorizing it would let any client do anything. Here a
SCRAM user with no ACL sends CreateTopics, DeleteTopics, CreateAcls,
AlterConfigs and IncrementalAlterConfigs (a BROKER resource, which goes
to the controller whole) to a node that is not the controller: each is
refused with the authorization error and nothing changes. A user holding
the ACLs succeeds through the same node. Metadata's auto-creation (which
the controller also performs as the broker) needs CREATE as in Kafka.

The second test makes a user a super user on the forwarding node only
(its own super_users): the controller, which the Envelope tells who the
client is, refuses what the forwarding node let through, and answers an
Envelope a client sends itself with CLUSTER_AUTHORIZATION_FAILED.

The secure three-node cluster of test_cluster_security.py; about 15 s
each.
"""
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.protocol.admin import (AlterConfigsRequest, CreateAclsRequest,
                                  CreateTopicsRequest, DeleteTopicsRequest)
from kafka.protocol.api import Request, Response
from kafka.protocol.metadata import MetadataRequest
from kafka.protocol.types import (AbstractType, Array, Boolean, Int8, Int16,
                                  Int32, Schema, String)

from test_cluster import wait_for
from test_cluster_security import (SECURITY_YAML, broker_config,  # noqa
                                   metadata, scram_conn, sec_cluster)

TOPIC_AUTHORIZATION_FAILED = 29
CLUSTER_AUTHORIZATION_FAILED = 31
DYNAMIC_DEFAULT_BROKER_CONFIG = 3
UNKNOWN_TOPIC_OR_PARTITION = 3


# kafka-python 2.0 has no IncrementalAlterConfigs (API 44); v0 is small.
class IncrementalAlterConfigsResponse_v0(Response):
    API_KEY = 44
    API_VERSION = 0
    SCHEMA = Schema(
        ('throttle_time_ms', Int32),
        ('resources', Array(('error_code', Int16),
                            ('error_message', String('utf-8')),
                            ('resource_type', Int8),
                            ('resource_name', String('utf-8')))))


class IncrementalAlterConfigsRequest_v0(Request):
    API_KEY = 44
    API_VERSION = 0
    RESPONSE_TYPE = IncrementalAlterConfigsResponse_v0
    SCHEMA = Schema(
        ('resources', Array(('resource_type', Int8),
                            ('resource_name', String('utf-8')),
                            ('configs', Array(('name', String('utf-8')),
                                              ('config_operation', Int8),
                                              ('value', String('utf-8')))))),
        ('validate_only', Boolean))


def call(c, node, user, request):
    """@request made as @user on @node's SASL port: the response."""
    conn = scram_conn(c, node, user, user + "-secret")
    assert conn, "%s cannot log in on node %d" % (user, node)
    try:
        fut = conn.send(request)
        deadline = time.monotonic() + 15
        while not fut.is_done and time.monotonic() < deadline:
            for resp, f in conn.recv():
                f.success(resp)
            time.sleep(0.01)
        assert fut.succeeded(), fut.exception
        return fut.value
    finally:
        conn.close()


def create_topic(name):
    return CreateTopicsRequest[1](create_topic_requests=[
        (name, 1, 1, [], [])], timeout=10000, validate_only=False)


def alter_default(key, value):
    """AlterConfigs of the cluster-default BROKER resource."""
    return AlterConfigsRequest[0](resources=[(4, "", [(key, value)])],
                                  validate_only=False)


def incr_alter_default(key, value):
    return IncrementalAlterConfigsRequest_v0(
        resources=[(4, "", [(key, 0, value)])], validate_only=False)


def topics(c, node):
    admin = KafkaAdminClient(bootstrap_servers=c.boot(node),
                             request_timeout_ms=10000)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def test_forwarded_admin_requests_are_authorized_as_the_client(sec_cluster):
    c = sec_cluster
    admin = KafkaAdminClient(bootstrap_servers=c.boot(1),
                             request_timeout_ms=10000)
    admin.create_topics([NewTopic("kept", 1, 1)])
    controller = admin.describe_cluster()["controller_id"]
    admin.close()
    t = min({1, 2, 3} - {controller})

    for user in ("mallory", "carol"):
        c.cli(t, "user", "set", user, "--password", user + "-secret",
              "--mechanism", "SCRAM-SHA-256")
    for op in ("Create", "AlterConfigs"):
        c.cli(t, "acl", "add", "--allow", "User:carol", "--operation", op,
              "--cluster")
    wait_for("mallory and carol on node %d" % t,
             lambda: scram_conn(c, t, "mallory", "mallory-secret")
             and scram_conn(c, t, "carol", "carol-secret")
             and "User:carol" in c.cli(t, "acl", "list", "--cluster"))

    # mallory, with no ACL at all, through t.
    r = call(c, t, "mallory", create_topic("grabbed"))
    assert r.topic_errors[0][1] == TOPIC_AUTHORIZATION_FAILED, r
    r = call(c, t, "mallory", DeleteTopicsRequest[1](topics=["kept"],
                                                     timeout=10000))
    assert r.topic_error_codes[0][1] == TOPIC_AUTHORIZATION_FAILED, r
    r = call(c, t, "mallory", CreateAclsRequest[1](creations=[
        (2, "*", 3, "User:mallory", "*", 1, 3)]))
    assert r.creation_responses[0][0] == CLUSTER_AUTHORIZATION_FAILED, r
    r = call(c, t, "mallory", alter_default("log.retention.ms", "1000"))
    assert r.resources[0][0] == CLUSTER_AUTHORIZATION_FAILED, r
    r = call(c, t, "mallory",
             incr_alter_default("log.retention.ms", "2000"))
    assert r.resources[0][0] == CLUSTER_AUTHORIZATION_FAILED, r

    # Nothing changed, as the controller and the other nodes see it.
    for node in (1, 2, 3):
        names = topics(c, node)
        assert "kept" in names and "grabbed" not in names, (node, names)
        assert broker_config(c, node, "log.retention.ms")[1] != \
            DYNAMIC_DEFAULT_BROKER_CONFIG
    assert "mallory" not in c.cli(controller, "acl", "list")

    # carol, holding CREATE and ALTER_CONFIGS on the cluster, through t.
    r = call(c, t, "carol", create_topic("carols"))
    assert r.topic_errors[0][1] == 0, r
    r = call(c, t, "carol",
             incr_alter_default("log.retention.ms", "123456789"))
    assert r.resources[0][0] == 0, r
    wait_for("carols on the controller",
             lambda: "carols" in topics(c, controller))
    wait_for("log.retention.ms on the controller",
             lambda: broker_config(c, controller, "log.retention.ms") ==
             ("123456789", DYNAMIC_DEFAULT_BROKER_CONFIG))

    # Auto-creation by Metadata needs CREATE too (the controller creates
    # the topic as t): WRITE on auto-* lets mallory see, not create.
    c.cli(t, "acl", "add", "--allow", "User:mallory", "--operation", "Write",
          "--topic", "auto-", "--prefixed")
    auto = MetadataRequest[4](topics=["auto-x"],
                              allow_auto_topic_creation=True)
    wait_for("mallory's WRITE on node %d" % t, lambda: call(
        c, t, "mallory", MetadataRequest[4](
            topics=["auto-x"], allow_auto_topic_creation=False)).topics[0][0]
        == UNKNOWN_TOPIC_OR_PARTITION)
    assert call(c, t, "mallory", auto).topics[0][0] == \
        TOPIC_AUTHORIZATION_FAILED
    c.cli(t, "acl", "add", "--allow", "User:mallory", "--operation", "Create",
          "--topic", "auto-", "--prefixed")
    wait_for("auto-x created by mallory's Metadata",
             lambda: call(c, t, "mallory", auto).topics[0][0] == 0)
    assert "auto-x" in topics(c, controller)


class Raw(AbstractType):
    """Bytes as they are: kafka-python 2.0 has no flexible versions."""
    @classmethod
    def encode(cls, value):
        return value

    @classmethod
    def decode(cls, data):
        return data.read()


class EnvelopeResponse_v0(Response):
    API_KEY = 58
    API_VERSION = 0
    # Flexible: the header's tagged fields come first here; a null
    # ResponseData is one byte (compact length 0).
    SCHEMA = Schema(('header_tags', Int8), ('response_data', Int8),
                    ('error_code', Int16), ('tags', Int8))


class EnvelopeRequest_v0(Request):
    API_KEY = 58
    API_VERSION = 0
    RESPONSE_TYPE = EnvelopeResponse_v0
    SCHEMA = Schema(('raw', Raw))


def envelope(inner, principal, address):
    """An Envelope v0 body after a v1 header: the header's empty tagged
    fields, then compact bytes RequestData, RequestPrincipal and
    ClientHostAddress, and the body's empty tagged fields."""
    def compact(b):
        n, out = len(b) + 1, b""
        while n >= 0x80:
            out += bytes([(n & 0x7f) | 0x80])
            n >>= 7
        return out + bytes([n]) + b
    return EnvelopeRequest_v0(raw=b"\0" + compact(inner) +
                              compact(principal) + compact(address) + b"\0")


def test_the_controller_authorizes_the_client_of_a_forwarded_request(
        sec_cluster):
    c = sec_cluster
    controller = metadata("127.0.0.1", c.plain[1])["controller"]
    t = min({1, 2, 3} - {controller})
    c.cli(t, "user", "set", "dave", "--password", "dave-secret",
          "--mechanism", "SCRAM-SHA-256")
    # dave is a super user on t, by t's own configuration only.
    c.procs[t].terminate()
    c.procs[t].wait(15)
    with open(c.dir(t) + "/conf.d/40-security.yaml", "w") as f:
        f.write(SECURITY_YAML.replace('"User:ANONYMOUS"',
                                      '"User:ANONYMOUS", "User:dave"'))
    c.start(t)
    c.serving(t, c.n)
    assert metadata("127.0.0.1", c.plain[t])["controller"] == controller
    wait_for("dave logs in on node %d" % t,
             lambda: scram_conn(c, t, "dave", "dave-secret"))

    # t lets dave's CreateTopics through; the controller, told by the
    # Envelope that dave sent it, holds no ACL of dave's and refuses.
    # (Authorized as the forwarding broker, a super user, it would pass.)
    r = call(c, t, "dave", create_topic("daves"))
    assert r.topic_errors[0][1] == TOPIC_AUTHORIZATION_FAILED, r
    assert "daves" not in topics(c, controller)
    # The controller's ACLs are dave's: CREATE on the cluster lets it in.
    c.cli(t, "acl", "add", "--allow", "User:dave", "--operation", "Create",
          "--cluster")
    wait_for("dave's CreateTopics through node %d" % t,
             lambda: call(c, t, "dave", create_topic("daves"))
             .topic_errors[0][1] in (0, 36))  # 36: made by an earlier try
    wait_for("daves on the controller",
             lambda: "daves" in topics(c, controller))

    # Only brokers (ClusterAction) send Envelopes: dave, naming himself a
    # super user's principal, is refused without the request being run.
    # CreateTopics v1 (header: key 19, version 1, correlation 7, client
    # id), and User:ANONYMOUS as DefaultPrincipalData v0 after its int16
    # version: compact type and name, token-authenticated false, no tags.
    forged = create_topic("forged")  # encode() holds it weakly
    inner = b"\0\x13\0\x01\0\0\0\x07\0\x04dave" + forged.encode()
    admin_principal = b"\0\0" + b"\x05User" + b"\x0aANONYMOUS" + b"\0\0"
    r = call(c, controller, "dave",
             envelope(inner, admin_principal, bytes([127, 0, 0, 1])))
    assert r.error_code == CLUSTER_AUTHORIZATION_FAILED, r
    assert "forged" not in topics(c, controller)
