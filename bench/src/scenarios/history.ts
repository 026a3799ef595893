import { Client } from 'pg';
import { ChatApi, inBatches } from '../client';
import { progress, type ScenarioContext, type ScenarioResult } from '../scenario';
import { Samples } from '../stats';

/**
 * Reads 50-message pages at random positions of a conversation holding `stored` messages. The
 * messages are written straight into the messages schema (this needs the deployment's database),
 * because sending a million through the API would measure the seeding, not the read.
 */
export async function historyReads(ctx: ScenarioContext, databaseUrl: string, stored: number, reads = 2000): Promise<ScenarioResult> {
  const api = new ChatApi(ctx.target.gateways[0]!);
  const reader = await api.account(`hist${process.pid}`, 'bench-password-1');
  const other = await api.account(`hist${process.pid}b`, 'bench-password-1');
  const conversationId = await api.createGroup(reader.token, 'history bench', [other.id]);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const seedStarted = performance.now();
  await db.query(
    `INSERT INTO messages.history (id, conversation_id, seq, client_message_id, sender_id, sender_username, content, created_at)
     SELECT gen_random_uuid(), $1, g, 'seed-' || g, $2, 'bench', 'history message ' || g, now()
     FROM generate_series(1, $3::int) AS g`,
    [conversationId, reader.id, stored],
  );
  await db.query('ANALYZE messages.history');
  await db.end();
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const latency = new Samples();
  const done = progress('history', () => `reads ${latency.count}/${reads}`);
  await inBatches(Array.from({ length: reads }, (_, i) => i), 8, async () => {
    const before = 51 + Math.floor(Math.random() * (stored - 50));
    const started = performance.now();
    const page = await api.request<{ messages: unknown[] }>('GET', `/conversations/${conversationId}/messages?limit=50&before_seq=${before}`, undefined, reader.token);
    latency.add(performance.now() - started);
    if (page.messages.length !== 50) throw new Error(`page of ${page.messages.length} messages`);
  });
  done();
  const summary = latency.summary();
  return {
    name: 'history page reads',
    parameters: { stored, reads, concurrency: 8 },
    figures: { seedSeconds: Math.round(seedSeconds) },
    latencyMs: summary,
    checks: [{ what: '50-message page p99', target: 'reported', actual: `${summary.p99} ms (p50 ${summary.p50} ms)`, pass: true }],
  };
}
