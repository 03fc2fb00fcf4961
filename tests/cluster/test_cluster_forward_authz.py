# SPDX-License-Identifier: Apache-2.0
"""Admin requests a node forwards to the controller (KIP-590) are
authorized with the client's principal, on the node that took them.

The controller sees the forwarding broker's principal (a super user: the
anonymous PLAINTEXT inter-broker principal), so a node that forwarded a
request before authorizing it would let any client do anything. Here a
SCRAM user with no ACL sends CreateTopics, DeleteTopics, CreateAcls,
AlterConfigs and IncrementalAlterConfigs (a BROKER resource, which goes
to the controller whole) to a node that is not the controller: each is
refused with the authorization error and nothing changes. A user holding
the ACLs succeeds through the same node. Metadata's auto-creation (which
the controller also performs as the broker) needs CREATE as in Kafka.

The secure three-node cluster of test_cluster_security.py; about 15 s.
"""
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.protocol.admin import (AlterConfigsRequest, CreateAclsRequest,
                                  CreateTopicsRequest, DeleteTopicsRequest)
from kafka.protocol.api import Request, Response
from kafka.protocol.metadata import MetadataRequest
from kafka.protocol.types import (Array, Boolean, Int8, Int16, Int32, Schema,
                                  String)

from test_cluster import wait_for
from test_cluster_security import (broker_config, scram_conn,  # noqa: F401
                                   sec_cluster)

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
