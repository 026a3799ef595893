/**
 * Which messages replica serves each conversation's sends (the lease of its partition, docs/scale-out.md
 * "Messages replicas"), and how soon a killed replica's conversations are served again: leased by
 * another session, and acknowledged.
 */
import { defaultMessagesPartitions, partitionOf } from '@pneumatic/contracts';
import { leaseApplicationName } from '@pneumatic/messages';
import { Client } from 'pg';
import type { ChatLoad } from './chat-load';
import type { ProcessName, StackUnderTest } from './stack-under-test';

/** Partition → OS pid of the process leasing it: pg_locks joined to the lease sessions' application_name. */
async function partitionHolders(databaseUrl: string): Promise<Map<number, number>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ partition: number; application_name: string }>(
      `SELECT l.objid::int AS partition, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.mode = 'ExclusiveLock' AND l.granted AND a.application_name LIKE $1`,
      [`${leaseApplicationName} %`],
    );
    return new Map(rows.map((r) => [r.partition, Number(r.application_name.split(' ').pop())]));
  } finally {
    await client.end();
  }
}

/** The messages replica leasing each conversation now (undefined: none). */
export async function conversationOwners(stack: StackUnderTest, databaseUrl: string, conversationIds: string[]): Promise<Map<string, ProcessName | undefined>> {
  const holders = await partitionHolders(databaseUrl);
  const byPid = new Map([...stack.pids].map(([name, pid]) => [pid, name]));
  return new Map(conversationIds.map((id) => [id, byPid.get(holders.get(partitionOf(id, defaultMessagesPartitions)) ?? -1)]));
}

/**
 * Polls until every one of the conversations is leased by a live process other than `killedPid`;
 * resolves with the time that happened (or rejects after `boundMs`).
 */
export async function leasedElsewhere(databaseUrl: string, conversationIds: string[], killedPid: number, boundMs: number): Promise<number> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const holders = await partitionHolders(databaseUrl);
    const holderOf = (id: string) => holders.get(partitionOf(id, defaultMessagesPartitions));
    if (conversationIds.every((id) => holderOf(id) !== undefined && holderOf(id) !== killedPid)) return Date.now();
    if (Date.now() > deadline) throw new Error(`conversations of pid ${killedPid} not leased by another replica within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** For each conversation, the time from `from` to its first acknowledged send after it; the longest of these. */
export function acknowledgementsResumedAfter(load: ChatLoad, phase: string, conversationIds: string[], from: number): number {
  const firstAck = new Map<string, number>();
  for (const send of load.clients.flatMap((c) => c.sends)) {
    if (send.phase !== phase || !conversationIds.includes(send.conversationId)) continue;
    for (const { outcome, at } of send.attempts) {
      if (outcome === 'ack' && at >= from && at < (firstAck.get(send.conversationId) ?? Infinity)) firstAck.set(send.conversationId, at);
    }
  }
  return Math.max(...conversationIds.map((id) => (firstAck.get(id) ?? Infinity) - from));
}
