# SPDX-License-Identifier: Apache-2.0
"""Apache Kafka's broker (kafka_2.13 3.8.0 from Maven Central) in KRaft
mode, one node or N (each broker+controller, as tests/cluster/nodes.py
starts Samsa's), on free loopback ports: the reference benchmarks print
Samsa's figures beside, in the same run.

    with KafkaCluster(workdir, n=1) as k:
        k.bootstrap()

The jars come from tools/bench/kafka/pom.xml (mvn dependency:copy-dependencies
into tools/bench/kafka/lib; only the first run needs Maven Central). Each
node is `java -cp 'lib/*' kafka.Kafka server.properties` after
`kafka.tools.StorageTool format`, as kafka-storage.sh and
kafka-server-start.sh do; the heap is 1 GiB (kafka-server-start.sh's
default). The configuration is Kafka's defaults but for the replication
factors of the internal topics (min(n, 3)) and a zero initial rebalance
delay, the same keys Samsa's test nodes set.
"""
import base64
import os
import shutil
import signal
import subprocess
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))
import nodes  # noqa: E402

KAFKA_DIR = os.path.join(HERE, "kafka")
LIB = os.path.join(KAFKA_DIR, "lib")
VERSION = "3.8.0"


def fetch():
    """The broker's jars in tools/bench/kafka/lib (Maven on first use)."""
    if os.path.exists(os.path.join(LIB, "kafka_2.13-%s.jar" % VERSION)):
        return
    if not shutil.which("mvn"):
        sys.exit("Apache Kafka's broker needs Maven (apt-get install maven) "
                 "to fetch kafka_2.13 %s into %s" % (VERSION, LIB))
    subprocess.run(["mvn", "-q", "-B", "dependency:copy-dependencies",
                    "-DoutputDirectory=lib", "-DincludeScope=runtime"],
                   cwd=KAFKA_DIR, check=True)


def java(args, **kw):
    return ["java", "-Xms1g", "-Xmx1g", "-XX:+UseG1GC",
            "-Dlog4j.configuration=file:" +
            os.path.join(KAFKA_DIR, "log4j.properties"),
            "-cp", os.path.join(LIB, "*")] + args


class KafkaCluster:
    def __init__(self, workdir, n=1):
        fetch()
        self.workdir, self.n = workdir, n
        ports = nodes.free_ports(2 * n)
        self.ports = ports[0::2]
        cports = ports[1::2]
        # Kafka's Uuid: 16 random bytes, URL-safe base64 without padding.
        self.cluster_id = base64.urlsafe_b64encode(
            uuid.uuid4().bytes).decode().rstrip("=")
        voters = ",".join("%d@127.0.0.1:%d" % (i + 1, cports[i])
                          for i in range(n))
        self.procs = []
        self.confs = []
        for i in range(n):
            d = os.path.join(workdir, "kafka%d" % (i + 1))
            os.makedirs(d, exist_ok=True)
            conf = os.path.join(d, "server.properties")
            rf = min(n, 3)
            with open(conf, "w") as f:
                f.write("""process.roles=broker,controller
node.id=%(id)d
controller.quorum.voters=%(voters)s
listeners=PLAINTEXT://127.0.0.1:%(p)d,CONTROLLER://127.0.0.1:%(cp)d
advertised.listeners=PLAINTEXT://127.0.0.1:%(p)d
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=%(data)s
offsets.topic.replication.factor=%(rf)d
transaction.state.log.replication.factor=%(rf)d
transaction.state.log.min.isr=%(misr)d
group.initial.rebalance.delay.ms=0
""" % dict(id=i + 1, voters=voters, p=self.ports[i], cp=cports[i],
                    data=os.path.join(d, "data"), rf=rf,
                    misr=min(rf, 2)))
            self.confs.append(conf)
            subprocess.run(java(["kafka.tools.StorageTool", "format", "-t",
                                 self.cluster_id, "-c", conf]),
                           check=True, capture_output=True)

    def bootstrap(self):
        return ",".join("127.0.0.1:%d" % p for p in self.ports)

    def pids(self):
        return [p.pid for p in self.procs]

    def start(self, timeout=120):
        for i, conf in enumerate(self.confs):
            log = open(os.path.join(os.path.dirname(conf), "kafka.log"), "ab")
            self.procs.append(subprocess.Popen(
                java(["kafka.Kafka", conf]), stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True))
            log.close()
        want = set(range(1, self.n + 1))
        for p in self.ports:
            def serves(p=p):
                if any(pr.poll() is not None for pr in self.procs):
                    raise RuntimeError("a Kafka node exited; see %s"
                                       % self.workdir)
                return set(nodes.metadata("127.0.0.1", p, [])["brokers"]) \
                    == want
            nodes.deadline_wait("Kafka on port %d" % p, serves, timeout)
        return self

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        self.procs = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
