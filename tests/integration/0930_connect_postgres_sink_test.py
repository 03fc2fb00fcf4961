# SPDX-License-Identifier: Apache-2.0
"""The PostgreSQL sink (plugins/sink-postgres) against a real PostgreSQL
15 the test starts in a temporary directory: upserts and deletes by key
into a table it creates from Kafka Connect's JSON schema, a new field
adding a column (auto.evolve), a record PostgreSQL refuses going to the
dead-letter topic while the others are written, and a plain insert
connector writing one fetched batch in one transaction (one xmin), and a
table created from the schema the transforms made of a JsonConverter
envelope's."""
import json
import subprocess

import pytest
from kafka import KafkaProducer

from connect_rest import call, read_topic, state, wait_for, wait_ready
from pg_server import PgServer


@pytest.fixture
def pg():
    server = PgServer().start()
    yield server
    server.stop()


SCHEMA = {"type": "struct", "optional": False, "fields": [
    {"field": "id", "type": "int32", "optional": False},
    {"field": "name", "type": "string", "optional": False},
    {"field": "score", "type": "float64", "optional": True}]}


def envelope(payload, schema=SCHEMA):
    return json.dumps({"schema": schema, "payload": payload}).encode()


def test_postgres_sink_upsert_delete_create_and_dead_letters(broker_factory, pg):
    broker = broker_factory("connect_enabled: true").start()
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    key = lambda i: json.dumps({"id": i}).encode()  # noqa: E731
    p.send("users", key=key(1), value=envelope({"id": 1, "name": "ann", "score": 1.5}))
    p.send("users", key=key(2), value=envelope({"id": 2, "name": "bob", "score": None}))
    p.send("users", key=key(1), value=envelope({"id": 1, "name": "ann2", "score": 2.5}))
    p.send("users", key=key(3), value=envelope({"id": 3, "name": "carl", "score": None}))
    p.send("users", key=key(2), value=None)  # delete bob
    p.send("users", key=key(9), value=envelope({"id": 9, "name": "x", "score": "NaN?"}))
    for i in range(3):
        p.send("events", value=json.dumps({"id": i, "what": "e%d" % i}).encode())
    p.flush()
    wait_ready(broker)
    code, info = call(broker, "POST", "/connectors", {"name": "users-pg", "config": {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "connection.url": "jdbc:" + pg.url, "topics": "users",
        "insert.mode": "upsert", "pk.mode": "record_key", "pk.fields": "id",
        "delete.enabled": "true", "auto.create": "true", "auto.evolve": "true",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        # The plugin reads Kafka Connect's envelope itself: the schema
        # gives the column types.
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": "users-dlq",
        "errors.deadletterqueue.context.headers.enable": "true"}})
    assert code == 201, info

    def rows():
        try:
            return pg.sql("SELECT id, name, score FROM users ORDER BY id")
        except Exception:
            return None  # not created yet
    wait_for(lambda: rows() == [["1", "ann2", "2.5"], ["3", "carl", ""]],
             "upserted rows without the deleted one")
    types = dict(map(tuple, pg.sql(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'users'")))
    assert types == {"id": "integer", "name": "text", "score": "double precision"}
    assert pg.sql("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON "
                  "a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                  "WHERE i.indrelid = 'users'::regclass AND i.indisprimary") == [["id"]]
    dead = read_topic(broker, "users-dlq", 1)
    assert [m.key for m in dead] == [key(9)]
    h = dict(dead[0].headers)
    assert h["__connect.errors.stage"] == b"TASK_PUT"
    assert b"double precision" in h["__connect.errors.exception.message"]

    # A new field: auto.evolve adds the column.
    schema = dict(SCHEMA, fields=SCHEMA["fields"] + [
        {"field": "email", "type": "string", "optional": True}])
    p.send("users", key=key(3), value=envelope(
        {"id": 3, "name": "carl", "score": 3.0, "email": "c@x"}, schema))
    p.flush()
    def evolved():
        try:
            return pg.sql("SELECT email FROM users WHERE id = 3") == [["c@x"]]
        except subprocess.CalledProcessError:
            return False  # the sink has not added the column yet
    wait_for(evolved, "the evolved column")
    assert state(broker, "users-pg") == "RUNNING"

    # Insert mode, types from the JSON values, one batch = one transaction.
    code, _ = call(broker, "POST", "/connectors", {"name": "events-pg", "config": {
        "connector.class": "PostgresSink", "connection.url": pg.url,
        "topics": "events", "auto.create": "true",
        "table.name.format": "audit_${topic}",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false"}})
    assert code == 201
    wait_for(lambda: (lambda r: r and r[0] == ["3"])(
        pg.sql("SELECT count(*) FROM pg_tables WHERE tablename = 'audit_events'")
        == [["1"]] and pg.sql("SELECT count(*) FROM audit_events")),
        "three audit rows")
    assert pg.sql("SELECT count(DISTINCT xmin::text) FROM audit_events") == [["1"]]
    assert pg.sql("SELECT data_type FROM information_schema.columns WHERE "
                  "table_name = 'audit_events' AND column_name = 'id'") == [["bigint"]]

    # The JsonConverter with schemas (the default) and transforms: the
    # table is created from the schema the transforms made of the
    # envelope's (InsertField's int64 offset and string topic, ReplaceField
    # dropping score and renaming name), which put() receives beside the
    # payload (ABI minor 7).
    p.send("people", value=envelope({"id": 5, "name": "eve", "score": 1.0}))
    p.flush()
    code, info = call(broker, "POST", "/connectors", {"name": "people-pg", "config": {
        "connector.class": "PostgresSink", "connection.url": pg.url,
        "topics": "people", "auto.create": "true",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "transforms": "insert,replace",
        "transforms.insert.type":
            "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.insert.topic.field": "src",
        "transforms.insert.offset.field": "kafka_offset",
        "transforms.replace.type":
            "org.apache.kafka.connect.transforms.ReplaceField$Value",
        "transforms.replace.exclude": "score",
        "transforms.replace.renames": "name:full_name"}})
    assert code == 201, info
    wait_for(lambda: pg.sql("SELECT count(*) FROM pg_tables WHERE "
                            "tablename = 'people'") == [["1"]] and
             pg.sql("SELECT id, full_name, src, kafka_offset FROM people")
             == [["5", "eve", "people", "0"]], "the transformed row")
    types = dict(map(tuple, pg.sql(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'people'")))
    assert types == {"id": "integer", "full_name": "text", "src": "text",
                     "kafka_offset": "bigint"}, types
    p.close()
