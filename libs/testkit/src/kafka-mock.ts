import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** A Kafka broker a test controls: librdkafka's mock cluster here, a real broker in a container where Docker answers (kafka-container.ts). */
export interface TestKafka {
  brokers: string[];
  /** The mock answers no CreateTopics; topics are made here (or auto-created with its default partition count). */
  createTopic(name: string, partitions: number): Promise<void>;
  /** Makes the broker unreachable until `up`; the records it holds stay. */
  down(brokerId?: number): Promise<void>;
  up(brokerId?: number): Promise<void>;
  stop(): Promise<void>;
}

interface Reply {
  bootstrap?: string;
  ok?: boolean;
  error?: string;
}

const script = path.resolve(__dirname, '..', 'kafka', 'mock-cluster.py');

/**
 * librdkafka's mock cluster in a child process (kafka/mock-cluster.py): a real Kafka-protocol broker
 * on loopback. Fails with the reason when python3 or librdkafka is missing (scripts/ensure-kafka-mock.sh
 * installs them).
 */
export async function startMockKafka(brokerCount = 1): Promise<TestKafka> {
  const child = spawn('python3', [script, String(brokerCount)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Reply> => {
    const line = await Promise.race([lines.next(), exited.then(() => ({ done: true as const, value: undefined }))]);
    if (line.done) throw new Error(`the mock Kafka cluster exited: ${stderr.join('').trim() || 'no output'}`);
    return JSON.parse(line.value) as Reply;
  };
  // One command at a time: each answer is the next line.
  let queue: Promise<unknown> = Promise.resolve();
  const command = (text: string) => {
    const done = queue.then(async () => {
      child.stdin.write(`${text}\n`);
      const reply = await next();
      if (!reply.ok) throw new Error(`mock Kafka: ${text}: ${reply.error ?? 'failed'}`);
    });
    queue = done.catch(() => undefined);
    return done;
  };
  const first = await next();
  if (!first.bootstrap) throw new Error(`the mock Kafka cluster did not say where it listens: ${JSON.stringify(first)}`);
  return {
    brokers: first.bootstrap.split(','),
    createTopic: (name, partitions) => command(`topic ${name} ${partitions}`),
    down: (brokerId = 1) => command(`down ${brokerId}`),
    up: (brokerId = 1) => command(`up ${brokerId}`),
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}
