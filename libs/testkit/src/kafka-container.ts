import { existsSync } from 'node:fs';
import type { TestKafka } from './kafka-mock';

/** Confluent's image: the one testcontainers' Kafka module configures (KRaft, no ZooKeeper). */
const image = process.env.TEST_KAFKA_IMAGE ?? 'confluentinc/cp-kafka:7.7.1';

/**
 * Why a real broker cannot run here, or undefined when a Docker engine may answer. Decided before
 * Jest collects the suites (so it must be synchronous): the engine's socket or DOCKER_HOST. An
 * engine that is named but does not answer fails the suite rather than skipping it.
 */
export function containerKafkaUnavailable(): string | undefined {
  if (process.env.DOCKER_HOST || existsSync('/var/run/docker.sock')) return undefined;
  return 'no Docker engine (no /var/run/docker.sock, DOCKER_HOST unset), so no real Kafka broker through testcontainers';
}

/**
 * A single-node Kafka broker in a container (testcontainers' Kafka module), with the mock's
 * surface. `down` pauses the container: the broker stops answering without closing connections,
 * as a hung or partitioned broker does; `up` resumes it with every record it held.
 */
export async function startContainerKafka(): Promise<TestKafka> {
  // Loaded only here: most runs never need them, and testcontainers is slow to load.
  const { KafkaContainer } = require('@testcontainers/kafka') as typeof import('@testcontainers/kafka');
  const { getContainerRuntimeClient } = require('testcontainers') as typeof import('testcontainers');
  const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');
  const container = await new KafkaContainer(image).withKraft().start();
  const brokers = [`${container.getHost()}:${container.getMappedPort(9093)}`];
  const runtime = await getContainerRuntimeClient();
  const docker = runtime.container.getById(container.getId());
  return {
    brokers,
    async createTopic(name, partitions) {
      const admin = new Kafka({ clientId: 'test-kafka-admin', brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
      } finally {
        await admin.disconnect();
      }
    },
    down: () => docker.pause(),
    up: () => docker.unpause(),
    async stop() {
      await container.stop();
    },
  };
}
