import { connectDatabase, type Database } from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import { PartitionLeases } from './partition-leases';

const partitions = 8;
const checkMs = 100;

/** One replica's leases on a pool of its own, with what it was told it holds. */
function replica(ctx: TestContext, deployment = ctx.natsPrefix) {
  const db = connectDatabase({ url: ctx.databaseUrl, schema: 'public', logger: ctx.logger });
  const owned = new Set<number>();
  const state = { canServe: true };
  const leases = new PartitionLeases({
    db,
    deployment,
    partitions,
    checkMs,
    canServe: () => state.canServe,
    logger: ctx.logger,
    onTake: (p) => owned.add(p),
    onRelease: (p) => owned.delete(p),
  });
  return { db, leases, owned, state };
}
type Replica = ReturnType<typeof replica>;

/** Ends a replica's lease session from outside, as Postgres does when the process is killed. */
async function killSession(admin: Database, of: Replica): Promise<void> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT DISTINCT pid FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock' AND pid <> pg_backend_pid()
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND objid = ANY($1::oid[])`,
    [[...of.owned]],
  );
  expect(rows).toHaveLength(1);
  await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
}

describe('partition leases (real Postgres)', () => {
  let ctx: TestContext;
  let admin: Database;
  const started: Replica[] = [];
  const start = async (deployment?: string) => {
    const r = replica(ctx, deployment);
    started.push(r);
    await r.leases.start();
    return r;
  };

  beforeAll(async () => {
    ctx = await createTestContext('partition_leases');
    admin = connectDatabase({ url: ctx.databaseUrl, schema: 'public', logger: ctx.logger });
  });
  afterEach(async () => {
    for (const r of started.splice(0)) {
      await r.leases.stop();
      await r.db.end();
    }
  });
  afterAll(async () => {
    await admin.end();
    await ctx.cleanup();
  });

  it('gives a lone replica every partition by the time it has started', async () => {
    const a = await start();
    expect([...a.owned].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(a.leases.partitions.size).toBe(partitions);
  });

  it('splits the partitions evenly when a second replica joins, each held by exactly one', async () => {
    const a = await start();
    const b = await start();
    await waitFor('an even split', () => a.owned.size === 4 && b.owned.size === 4, 3000);
    expect(new Set([...a.owned, ...b.owned]).size).toBe(partitions);
    // Settled: more checks change nothing.
    const before = [...a.owned].sort();
    await new Promise((r) => setTimeout(r, 5 * checkMs));
    expect([...a.owned].sort()).toEqual(before);
  });

  it('moves a killed replica\'s partitions to the survivor within a check or two', async () => {
    const a = await start();
    const b = await start();
    await waitFor('an even split', () => a.owned.size === 4 && b.owned.size === 4, 3000);
    const killedAt = Date.now();
    await killSession(admin, b);
    await waitFor('the survivor holding everything', () => a.owned.size === partitions, 2000);
    const tookMs = Date.now() - killedAt;
    console.log(`partition takeover after the session was killed: ${tookMs} ms (check every ${checkMs} ms)`);
    expect(tookMs).toBeLessThan(3 * checkMs + 500);
    // The killed replica notices at its next check, and comes back for its share.
    await waitFor('the split again', () => a.owned.size === 4 && b.owned.size === 4, 3000);
  });

  it('gives every partition up while the replica cannot serve, and takes its share again after', async () => {
    const a = await start();
    const b = await start();
    await waitFor('an even split', () => a.owned.size === 4 && b.owned.size === 4, 3000);
    b.state.canServe = false;
    await waitFor('the other replica holding everything', () => b.owned.size === 0 && a.owned.size === partitions, 2000);
    b.state.canServe = true;
    await waitFor('the split again', () => a.owned.size === 4 && b.owned.size === 4, 3000);
  });

  it('keeps deployments sharing a database apart', async () => {
    const a = await start();
    const other = await start(`${ctx.natsPrefix}_other`);
    expect(a.owned.size).toBe(partitions);
    expect(other.owned.size).toBe(partitions);
  });
});
