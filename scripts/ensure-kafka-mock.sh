#!/usr/bin/env bash
# The Kafka tests' broker is librdkafka's mock cluster (libs/testkit/kafka/mock-cluster.py), which
# Debian's python3-confluent-kafka brings (with librdkafka). Installs it when missing and we are root.
set -euo pipefail
python3 -c 'import ctypes, ctypes.util; ctypes.CDLL(ctypes.util.find_library("rdkafka") or "librdkafka.so.1").rd_kafka_mock_cluster_new' 2>/dev/null && exit 0
if [ "$(id -u)" != 0 ]; then echo "ensure-kafka-mock: librdkafka missing; install python3-confluent-kafka (needs root)" >&2; exit 1; fi
echo "ensure-kafka-mock: installing python3-confluent-kafka (librdkafka's mock cluster for the Kafka tests)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-confluent-kafka >/dev/null
