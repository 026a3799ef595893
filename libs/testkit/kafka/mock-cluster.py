#!/usr/bin/env python3
"""A Kafka broker for tests: librdkafka's mock cluster, a real Kafka-protocol server on loopback.

Prints one JSON line with the bootstrap servers, then reads commands from stdin, one a line, and
answers each with a JSON line:
  topic <name> <partitions>   create a topic (the mock serves no CreateTopics request)
  down <broker id>            disconnect the broker and refuse new connections (a stopped broker)
  up <broker id>              accept connections again, with every record it held
It exits when stdin closes, so a test that dies takes its broker with it.

librdkafka is called through ctypes: Debian's python3-confluent-kafka brings the library, but its
Python API does not expose the mock cluster's controls (broker down/up, topic creation).
"""
import ctypes
import ctypes.util
import json
import sys

BROKERS = int(sys.argv[1]) if len(sys.argv) > 1 else 1


def load():
    name = ctypes.util.find_library("rdkafka") or "librdkafka.so.1"
    lib = ctypes.CDLL(name)
    lib.rd_kafka_conf_new.restype = ctypes.c_void_p
    lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_new.restype = ctypes.c_void_p
    lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_mock_cluster_new.restype = ctypes.c_void_p
    lib.rd_kafka_mock_cluster_new.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.rd_kafka_mock_cluster_bootstraps.restype = ctypes.c_char_p
    lib.rd_kafka_mock_cluster_bootstraps.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_mock_topic_create.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
    lib.rd_kafka_mock_broker_set_down.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.rd_kafka_mock_broker_set_up.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.rd_kafka_err2str.restype = ctypes.c_char_p
    return lib


def main():
    lib = load()
    errstr = ctypes.create_string_buffer(512)
    conf = lib.rd_kafka_conf_new()
    # The handle only hosts the cluster; it never connects anywhere.
    lib.rd_kafka_conf_set(conf, b"log_level", b"0", errstr, len(errstr))
    handle = lib.rd_kafka_new(0, conf, errstr, len(errstr))
    if not handle:
        sys.exit("rd_kafka_new failed: " + errstr.value.decode())
    cluster = lib.rd_kafka_mock_cluster_new(handle, BROKERS)
    if not cluster:
        sys.exit("rd_kafka_mock_cluster_new failed")
    answer({"bootstrap": lib.rd_kafka_mock_cluster_bootstraps(cluster).decode(), "brokers": BROKERS})
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "topic" and len(words) == 3:
            err = lib.rd_kafka_mock_topic_create(cluster, words[1].encode(), int(words[2]), 1)
        elif words[0] in ("down", "up") and len(words) == 2:
            control = lib.rd_kafka_mock_broker_set_down if words[0] == "down" else lib.rd_kafka_mock_broker_set_up
            err = control(cluster, int(words[1]))
        else:
            answer({"error": "unknown command: " + line.strip()})
            continue
        answer({"ok": err == 0, "command": words[0], **({} if err == 0 else {"error": lib.rd_kafka_err2str(err).decode()})})
    # Exiting without destroying the cluster: the process goes, and the broker's sockets with it.


def answer(reply):
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
