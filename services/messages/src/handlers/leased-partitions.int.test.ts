import { contracts, partitionOf } from '@pneumatic/contracts';
import { Bus, connectDatabase, type Database, type Subscription } from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';
import { serveLeasedPartitions } from './leased-partitions';

const partitions = 8;
const checkMs = 100;
/** The shared queue group answers with this added to the replica's number, to tell its answers from a partition owner's. */
const shared = 100;

describe('leased partitions (real Postgres and NATS)', () => {
  let ctx: TestContext;
  let admin: Database;
  let gateway: Bus;
  /** One conversation per partition. */
  const conversations = new Map<number, string>();
  const replicas: { db: Database; bus: Bus; session: () => Promise<number>; held: ReadonlySet<number>; stop: () => Promise<void> }[] = [];

  /**
   * A messages replica reduced to its routing: read receipts answered with `seq` = its number,
   * on the shared subject (plus 100) and on the partitions it leases.
   */
  async function startReplica(n: number) {
    const db = connectDatabase({ url: ctx.databaseUrl, schema: 'public', logger: ctx.logger });
    const bus = await Bus.connect({ url: ctx.natsUrl, prefix: ctx.natsPrefix, name: `messages-${n}`, logger: ctx.logger, metrics: ctx.metrics });
    bus.serve(contracts.messagesRead, async () => ({ seq: shared + n, moved: false }), { queue: 'messages' });
    const servePartition = (partition: number): Subscription[] => [
      bus.serve(contracts.messagesRead, async () => ({ seq: n, moved: false }), { queue: 'messages', partition }),
    ];
    const leased = await serveLeasedPartitions({ db, bus, logger: ctx.logger }, { partitions, checkMs, deployment: ctx.natsPrefix }, servePartition);
    const session = async () => {
      const { rows } = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock' AND objid = $1 AND granted",
        [[...leased.partitions][0]],
      );
      return rows[0]!.pid;
    };
    const replica = { db, bus, session, held: leased.partitions, stop: leased.stop };
    replicas.push(replica);
    return replica;
  }

  /** Who answers each partition's conversation now (`seq` of the reply), or the error code. */
  async function answers(): Promise<Map<number, number | string>> {
    const entries = await Promise.all(
      [...conversations].map(async ([p, id]) => {
        const answer = await gateway
          .call(contracts.messagesRead, { actor_id: randomUUID(), conversation_id: id, seq: 0 })
          .then((r) => r.seq, (err: { code?: string }) => err.code ?? 'error');
        return [p, answer] as const;
      }),
    );
    return new Map(entries);
  }

  /** Asks about every conversation, every 10 ms, until `until` resolves; returns every answer. */
  async function askMeanwhile(until: Promise<unknown>): Promise<(number | string)[]> {
    const seen: (number | string)[] = [];
    let done = false;
    void until.finally(() => (done = true));
    while (!done) {
      seen.push(...(await answers()).values());
      await new Promise((r) => setTimeout(r, 10));
    }
    await until;
    return seen;
  }

  const owner = (p: number) => replicas.findIndex((r) => r.held.has(p)) + 1;
  const split = () => replicas.every((r) => r.held.size === partitions / replicas.length);

  beforeAll(async () => {
    ctx = await createTestContext('leased_partitions');
    admin = connectDatabase({ url: ctx.databaseUrl, schema: 'public', logger: ctx.logger });
    gateway = await Bus.connect({ url: ctx.natsUrl, prefix: ctx.natsPrefix, name: 'gateway', logger: ctx.logger, metrics: ctx.metrics, partitions });
    while (conversations.size < partitions) {
      const id = randomUUID();
      conversations.set(partitionOf(id, partitions), id);
    }
  });
  afterAll(async () => {
    for (const r of replicas) {
      await r.stop();
      await r.bus.close();
      await r.db.end();
    }
    await gateway.close();
    await admin.end();
    await ctx.cleanup();
  });

  it('sends each conversation to the replica leasing its partition: one alone serves all', async () => {
    await startReplica(1);
    expect([...(await answers()).values()]).toEqual(new Array(partitions).fill(1));
  });

  it('hands half over to a second replica with no request refused, then each conversation goes to its owner', async () => {
    const seen = await askMeanwhile(
      (async () => {
        await startReplica(2);
        await waitFor('an even split', split, 3000);
        // Past the handover, when the giver stops serving what it gave up.
        await new Promise((r) => setTimeout(r, 4 * checkMs));
      })(),
    );
    const refused = seen.filter((a) => typeof a === 'string');
    console.log(`during the handover: ${seen.length} answers, ${seen.filter((a) => a === shared + 1 || a === shared + 2).length} by the shared queue group, ${refused.length} refused`);
    expect(refused).toEqual([]);
    const now = await answers();
    for (const [p, answer] of now) expect(answer).toBe(owner(p));
    expect(new Set(now.values())).toEqual(new Set([1, 2]));
  });

  it("serves a killed replica's conversations through the shared subject at once, and by lease again within a few checks", async () => {
    const killed = replicas[1]!;
    const orphaned = [...killed.held];
    const killedAt = Date.now();
    // As a kill -9 does: the NATS connection and the lease session end, with no goodbye.
    const pid = await killed.session();
    await Promise.all([killed.bus.close(), admin.query('SELECT pg_terminate_backend($1)', [pid])]);
    let takenAfterMs = 0;
    const seen = await askMeanwhile(
      waitFor('the survivor leasing every partition', async () => {
        const now = await answers();
        if (![...now.values()].every((a) => a === 1)) return false;
        takenAfterMs = Date.now() - killedAt;
        return true;
      }, 3000),
    );
    console.log(`after the kill: ${orphaned.length} partitions leased by the survivor after ${takenAfterMs} ms; meanwhile ${seen.filter((a) => a === shared + 1).length} answers by the shared queue group`);
    expect(seen.filter((a) => typeof a === 'string')).toEqual([]);
    expect(takenAfterMs).toBeLessThan(3 * checkMs + 1000);
  });
});
