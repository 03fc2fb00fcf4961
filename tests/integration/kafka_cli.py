# SPDX-License-Identifier: Apache-2.0
"""Apache Kafka's own command-line tools (kafka-tools and kafka_2.13
4.0.2, pinned in kafka-tools/pom.xml), run as bin/kafka-*.sh runs them:
`java -cp 'lib/*' org.apache.kafka.tools.<Command> ARGS`. tests/integration/run.sh copies
the jars into kafka-tools/lib once; this fetches them for a plain pytest
run too (only the first fetch needs Maven Central)."""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS_DIR = os.path.join(HERE, "kafka-tools")
TOOLS_JAR = os.path.join(TOOLS_DIR, "lib", "kafka_2.13-4.0.2.jar")


def fetch_kafka_tools():
    if not os.path.exists(TOOLS_JAR):
        out = subprocess.run(
            ["mvn", "-q", "-B", "dependency:copy-dependencies",
             "-DoutputDirectory=lib", "-DincludeScope=runtime"],
            cwd=TOOLS_DIR, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, "mvn failed:\n" + out.stdout + out.stderr


def kafka_tool(command, *args, timeout=60):
    """Run org.apache.kafka.tools.@command (or the class @command names in
    full, e.g. kafka.admin.ConfigCommand) with @args: the finished
    subprocess.CompletedProcess (text stdout/stderr)."""
    fetch_kafka_tools()
    return subprocess.run(
        # C1 only and the serial GC: a third less CPU for a short run.
        ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
         "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
         "-cp", os.path.join(TOOLS_DIR, "lib", "*"),
         command if "." in command else "org.apache.kafka.tools." + command]
        + list(args),
        capture_output=True, text=True, timeout=timeout)
