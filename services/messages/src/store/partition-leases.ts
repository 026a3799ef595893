import { fnv1a } from '@pneumatic/contracts';
import type { Database, Logger, PoolClient } from '@pneumatic/platform';
import { hostname } from 'node:os';
import { leasePlan, type LeaseView } from '../domain/partition-shares';

export interface PartitionLeaseOptions {
  db: Database;
  /** Tells these leases from another deployment's in the same database (the NATS subject prefix). */
  deployment: string;
  partitions: number;
  /** How often the replica looks at who holds what and takes or gives up partitions. */
  checkMs: number;
  /** Whether this replica can hear requests now; one that cannot (NATS lost) gives its partitions up. */
  canServe: () => boolean;
  logger: Logger;
  /** Told each partition this replica comes to hold ... */
  onTake(partition: number): void;
  /** ... and each it gives up or loses. */
  onRelease(partition: number): void;
}

/** The lease session's application_name starts with this, then the host name and process id. */
export const leaseApplicationName = 'pneumatic-messages-leases';

/** A positive int4, so the key reads the same as pg_locks' unsigned `classid`. */
const lockKey = (name: string) => fnv1a(name) & 0x7fffffff;

/**
 * Partition leases as Postgres session advisory locks, on one connection held for the purpose:
 * (replicas key, 0) taken shared by every replica that takes part, so pg_locks lists them all,
 * and (partitions key, p) exclusive per partition. A replica whose process or connection dies
 * loses all of them with its session, at once when its socket closes, within ~11 s when its host
 * vanishes (the session's TCP keepalives). Every `checkMs` each replica reads pg_locks and moves
 * toward its share (domain/partition-shares.ts).
 *
 * A lease gives affinity, not exclusion: two replicas serving one conversation for a moment (a
 * handover, a lease lost while requests were in hand) stay correct, since every append checks the
 * stream's version; they only push each other's batches onto the locked path.
 */
export class PartitionLeases {
  private readonly replicasKey: number;
  private readonly partitionsKey: number;
  private session?: { client: PoolClient; id: number };
  private readonly held = new Set<number>();
  private timer?: NodeJS.Timeout;
  private checking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: PartitionLeaseOptions) {
    this.replicasKey = lockKey(`messages-replicas:${options.deployment}`);
    this.partitionsKey = lockKey(`messages-partitions:${options.deployment}`);
  }

  /** The partitions this replica holds now. */
  get partitions(): ReadonlySet<number> {
    return this.held;
  }

  /** Resolves after the first check, so a lone replica serves every partition once started. */
  async start(): Promise<void> {
    this.checking = this.check();
    await this.checking;
    this.schedule();
  }

  /** Gives every lease up, so the other replicas take them at their next check. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.checking;
    this.leave();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.checking = this.check().finally(() => this.schedule());
    }, this.options.checkMs);
  }

  private async check(): Promise<void> {
    try {
      if (!this.options.canServe()) return this.leave();
      const session = this.session ?? (await this.join());
      const plan = leasePlan(await this.view(session));
      if (plan.release.length > 0) await this.release(session.client, plan.release);
      if (plan.take.length > 0) await this.take(session.client, plan.take);
    } catch (err) {
      this.options.logger.warn({ err, partitions: [...this.held] }, 'partition leases lost; rejoining at the next check');
      this.leave();
    }
  }

  /** A session of its own: the leases live and die with it. */
  private async join(): Promise<{ client: PoolClient; id: number }> {
    const client = await this.options.db.connect();
    // A connection that breaks between checks (Postgres restarted, the session terminated) says
    // so here, not to a query: the leases are gone with it.
    client.on('error', (err) => {
      if (this.session?.client !== client) return;
      this.options.logger.warn({ err, partitions: [...this.held] }, 'partition lease session ended; rejoining at the next check');
      this.leave();
    });
    try {
      // Postgres ends a session whose host stopped answering after 5 + 3 × 2 s. The application
      // name tells an operator (and the chaos suite) which process holds which partition:
      // pg_locks joined to pg_stat_activity on pid.
      await client.query('SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3');
      await client.query("SELECT set_config('application_name', $1, false)", [`${leaseApplicationName} ${hostname()} ${process.pid}`]);
      const { rows } = await client.query<{ id: number }>('SELECT pg_backend_pid() AS id, pg_advisory_lock_shared($1, 0)', [this.replicasKey]);
      this.session = { client, id: rows[0]!.id };
      this.options.logger.info({ session: this.session.id }, 'joined the messages replicas sharing the partitions');
      return this.session;
    } catch (err) {
      client.release(true);
      throw err;
    }
  }

  /** Who takes part and who holds which partition, in this database. */
  private async view({ client, id }: { client: PoolClient; id: number }): Promise<LeaseView> {
    const { rows } = await client.query<{ key: string; objid: string; pid: number }>(
      `SELECT classid::bigint AS key, objid::bigint AS objid, pid FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid::bigint = ANY($1::bigint[])
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [[this.replicasKey, this.partitionsKey]],
    );
    const replicas = rows.filter((r) => Number(r.key) === this.replicasKey).map((r) => r.pid);
    const holders = new Map(rows.filter((r) => Number(r.key) === this.partitionsKey).map((r) => [Number(r.objid), r.pid]));
    return { partitions: this.options.partitions, replicas, self: id, holders };
  }

  private async take(client: PoolClient, partitions: number[]): Promise<void> {
    const { rows } = await client.query<{ p: number }>('SELECT p FROM unnest($2::int[]) AS p WHERE pg_try_advisory_lock($1, p)', [
      this.partitionsKey,
      partitions,
    ]);
    for (const { p } of rows) {
      this.held.add(p);
      this.options.onTake(p);
    }
  }

  private async release(client: PoolClient, partitions: number[]): Promise<void> {
    // Told first: the replica keeps serving through the handover, and stops once the taker has had time to subscribe.
    for (const p of partitions) this.forget(p);
    await client.query('SELECT pg_advisory_unlock($1, p) FROM unnest($2::int[]) AS p', [this.partitionsKey, partitions]);
  }

  /**
   * Ends the session, and every lease with it: the connection is closed, never handed back to
   * the pool, so no other work runs on a session that held leases (or under its application name).
   */
  private leave(): void {
    for (const p of [...this.held]) this.forget(p);
    this.session?.client.release(true);
    this.session = undefined;
  }

  private forget(partition: number): void {
    this.held.delete(partition);
    this.options.onRelease(partition);
  }
}
