#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Regenerates murmur2_vectors.txt from the real Kafka Java client.
set -eu
cd "$(dirname "$0")"
mvn -q dependency:get -Dartifact=org.apache.kafka:kafka-clients:3.8.0 \
    -Dtransitive=false
mvn -q dependency:get -Dartifact=org.slf4j:slf4j-api:1.7.36 -Dtransitive=false
SLF="$HOME/.m2/repository/org/slf4j/slf4j-api/1.7.36/slf4j-api-1.7.36.jar"
JAR="$HOME/.m2/repository/org/apache/kafka/kafka-clients/3.8.0/kafka-clients-3.8.0.jar"
TMP=$(mktemp -d)
javac -cp "$JAR" -d "$TMP" Murmur2Vectors.java
java -cp "$JAR:$SLF:$TMP" Murmur2Vectors > murmur2_vectors.txt
rm -rf "$TMP"
