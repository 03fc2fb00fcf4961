# SPDX-License-Identifier: Apache-2.0
"""The PostgreSQL source (plugins/source-postgres) against a real
PostgreSQL 15 the test starts with wal_level=logical: inserts, updates
and deletes become Debezium-shaped change events keyed by the primary key
in <topic.prefix>.<schema>.<table>; the slot's confirmed LSN follows the
stored offsets; and after a kill -9 of samsad (the worker) in the middle
of a stream of transactions, a restart resumes from the stored LSN with
nothing lost and duplicates only in one contiguous run (the
at-least-once window), counted and printed."""
import json
import os
import subprocess
import time

import pytest
from kafka import KafkaConsumer

from connect_rest import call, state, wait_for, wait_ready
from pg_server import BIN, PgServer

TOPIC = "pg.public.items"


@pytest.fixture
def pg():
    server = PgServer("-c wal_level=logical").start()
    yield server
    server.stop()


def events(broker, until, timeout=30):
    """Every record of TOPIC from the start, polled until @p until(list)."""
    c = KafkaConsumer(TOPIC, bootstrap_servers=broker.bootstrap,
                      auto_offset_reset="earliest", enable_auto_commit=False)
    got, deadline = [], time.time() + timeout
    try:
        while time.time() < deadline:
            for msgs in c.poll(300).values():
                got.extend(msgs)
            if until(got):
                return got
    finally:
        c.close()
    raise AssertionError("timed out: %d events" % len(got))


def start_connector(broker, pg):
    code, info = call(broker, "POST", "/connectors", {"name": "items-cdc", "config": {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "connection.url": pg.url, "topic.prefix": "pg",
        "table.include.list": "public.items", "slot.name": "samsa_items",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter"}})
    assert code == 201, info
    wait_for(streaming(pg), "the replication slot streaming")


def streaming(pg):
    """The task streams the slot: past its creation (when the slot is
    active too) and past its snapshot (START_REPLICATION made)."""
    return lambda: pg.sql(
        "SELECT count(*) FROM pg_replication_slots s JOIN pg_stat_replication "
        "r ON r.pid = s.active_pid WHERE s.slot_name = 'samsa_items' AND "
        "r.state = 'streaming'") == [["1"]]


def decoded(msgs):
    return [(json.loads(m.key), json.loads(m.value) if m.value else None)
            for m in msgs]


def test_postgres_source_changes_and_resume_after_kill(broker_factory, pg):
    pg.sql("CREATE TABLE items (id int PRIMARY KEY, name text, n bigint, "
           "ok boolean, price numeric)")
    broker = broker_factory("connect_enabled: true").start()
    wait_ready(broker)
    start_connector(broker, pg)

    pg.sql("INSERT INTO items VALUES (1, 'a', 10, true, 1.50), "
           "(2, 'b', 20, false, NULL)")  # one transaction, two events
    pg.sql("UPDATE items SET name = 'b2', n = 21 WHERE id = 2")
    pg.sql("DELETE FROM items WHERE id = 1")
    got = decoded(events(broker, lambda g: len(g) >= 5))
    assert [k for k, _ in got] == [{"id": 1}, {"id": 2}, {"id": 2}, {"id": 1},
                                  {"id": 1}]
    c1, c2, u2, d1, tomb = [v for _, v in got]
    assert tomb is None  # Debezium's tombstone after a delete
    assert (c1["op"], c1["before"]) == ("c", None)
    assert c1["after"] == {"id": 1, "name": "a", "n": 10, "ok": True,
                           "price": "1.50"}
    assert c2["after"]["price"] is None
    assert c1["source"]["lsn"] == c2["source"]["lsn"]  # same transaction
    assert c1["source"]["table"] == "items" and c1["source"]["db"] == "postgres"
    assert u2["op"] == "u" and u2["after"]["name"] == "b2"
    assert d1["op"] == "d" and d1["after"] is None and d1["before"]["id"] == 1
    assert d1["source"]["lsn"] > u2["source"]["lsn"] > c1["source"]["lsn"]
    # The slot is told the stored position: confirmed_flush_lsn moves on.
    wait_for(lambda: pg.sql(
        "SELECT confirmed_flush_lsn > '%s'::pg_lsn FROM pg_replication_slots"
        % d1["source"]["lsn_text"]) == [["t"]], "the slot's confirmed LSN")
    # A key change: a delete (and tombstone) of the old key, a create of
    # the new one.
    pg.sql("UPDATE items SET id = 3, name = 'c' WHERE id = 2")
    moved = decoded(events(broker, lambda g: len(g) >= 8))[5:]
    assert [(k, v and v["op"]) for k, v in moved] == [
        ({"id": 2}, "d"), ({"id": 2}, None), ({"id": 3}, "c")]
    assert moved[0][1]["before"]["id"] == 2
    assert moved[2][1]["after"] == {"id": 3, "name": "c", "n": 21, "ok": False,
                                    "price": None}
    # Changes only to a table outside the publication: no events, but the
    # slot still moves on (keepalives), so it does not pin the WAL.
    pg.sql("CREATE TABLE other (id int PRIMARY KEY)")
    pg.sql("INSERT INTO other SELECT generate_series(1, 100)")
    lsn = pg.sql("SELECT pg_current_wal_lsn()")[0][0]
    wait_for(lambda: pg.sql(
        "SELECT confirmed_flush_lsn >= '%s'::pg_lsn FROM pg_replication_slots"
        % lsn) == [["t"]], "the slot past unpublished changes")

    # A stream of one-row transactions; samsad is killed in the middle.
    first, count = 100, 400
    script = "".join("INSERT INTO items VALUES (%d, 'x', %d, true, 0);\n"
                     "SELECT pg_sleep(0.01);\n" % (i, i)
                     for i in range(first, first + count))
    args = [BIN + "/psql", "-X", "-q", "-h", pg.dir, "-U", "postgres",
            "-d", "postgres", "-o", os.devnull]
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--"] + args
    writer = subprocess.Popen(args, stdin=subprocess.PIPE, text=True)
    writer.stdin.write(script)
    writer.stdin.close()
    before_kill = len(events(broker, lambda g: len(g) >= 8 + 20)) - 8
    assert writer.poll() is None  # the kill lands mid-stream
    broker.kill()  # SIGKILL
    assert writer.wait(60) == 0
    broker.start()
    wait_ready(broker)
    want = set(range(first, first + count))

    def all_in(g):
        return want <= {json.loads(m.key)["id"] for m in g[8:]}
    after = decoded(events(broker, all_in, timeout=60))[8:]
    ids = [k["id"] for k, v in after if v and v["op"] == "c"]
    assert set(ids) == want, "lost: %s" % sorted(want - set(ids))
    dupes = len(ids) - len(set(ids))
    dup_ids = sorted({i for i in ids if ids.count(i) > 1})
    print("postgres source: %d rows in one-row transactions, kill -9 after "
          "%d of them were seen: %d create events, %d duplicates %s"
          % (count, before_kill, len(ids), dupes, dup_ids[:1] + dup_ids[-1:]))
    # At least once: each row at most twice, the duplicates one contiguous
    # run of transactions (those after the last stored LSN before the kill).
    assert all(ids.count(i) <= 2 for i in dup_ids)
    assert not dup_ids or dup_ids == list(range(dup_ids[0], dup_ids[-1] + 1))
    # Commit order, with at most one step back (where the replay starts).
    assert sum(1 for a, b in zip(ids, ids[1:]) if b < a) <= (1 if dupes else 0)
    assert state(broker, "items-cdc") == "RUNNING"


def test_postgres_source_takes_an_initial_snapshot(broker_factory, pg):
    """snapshot.mode=initial (the default, as Debezium's): rows already in
    the table come first as read events ("r"), each exactly once, read
    in batches of 1,000 through a cursor; changes made afterwards follow
    from the slot. A restart after the snapshot does not take it again."""
    rows = 2500
    pg.sql("CREATE TABLE items (id int PRIMARY KEY, name text)")
    pg.sql("INSERT INTO items SELECT i, 'row' || i FROM "
           "generate_series(1, %d) i" % rows)
    broker = broker_factory("connect_enabled: true").start()
    wait_ready(broker)
    start_connector(broker, pg)
    pg.sql("INSERT INTO items VALUES (%d, 'new')" % (rows + 1))
    pg.sql("UPDATE items SET name = 'changed' WHERE id = 7")
    got = decoded(events(broker, lambda g: len(g) >= rows + 2))
    snap = [(k, v) for k, v in got if v["op"] == "r"]
    assert sorted(k["id"] for k, _ in snap) == list(range(1, rows + 1))
    k, v = snap[6]
    assert v["before"] is None and v["source"]["snapshot"] == "true"
    assert v["after"] == {"id": k["id"], "name": "row%d" % k["id"]}
    assert [(k["id"], v["op"]) for k, v in got[rows:]] == [
        (rows + 1, "c"), (7, "u")]
    assert got[rows + 1][1]["after"]["name"] == "changed"

    broker.restart()  # SIGTERM: the worker stores its offsets
    wait_ready(broker)
    wait_for(streaming(pg), "the slot streaming again")
    pg.sql("DELETE FROM items WHERE id = 1")
    after = decoded(events(broker, lambda g: len(g) >= rows + 4))
    assert [v and v["op"] for _, v in after[rows + 2:]] == ["d", None]
    assert len(after) == rows + 4  # no second snapshot
