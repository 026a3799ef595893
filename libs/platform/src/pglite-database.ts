import { mkdir } from 'node:fs/promises';
import { Client, type PoolClient, type QueryResult } from 'pg';
import type { Database } from './database';

/** First-come first-served exclusive access to the one PGlite connection. */
class ConnectionTurn {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves when it is the caller's turn, with the function that ends it. */
  take(): Promise<() => void> {
    let end!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (end = resolve));
    return previous.then(() => end);
  }
}

const opensTransaction = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;
// Also a batch ending the transaction, e.g. `UPDATE …; COMMIT`.
const closesTransaction = /^\s*(COMMIT|ROLLBACK|END|ABORT)\b|;\s*(COMMIT|ROLLBACK|END)\s*;?\s*$/i;
type QueryArgs = [text: string | { text: string; values?: unknown[] }, values?: unknown[]];
const textOf = (query: QueryArgs[0]) => (typeof query === 'string' ? query : query.text);

/**
 * Postgres compiled to WebAssembly, in this process: one instance, one connection (node-postgres
 * over PGlite's wire protocol, so rows are parsed exactly as with a server), shared by every
 * service of the embedded mode, each seeing its own schema.
 *
 * One connection means one session, so transactions must not interleave: a client takes the
 * connection's turn at BEGIN and gives it back at COMMIT/ROLLBACK (or release); a statement outside
 * a transaction takes it for that statement only. Relays and projection runners hold a client for
 * their whole life but only take turns while they work, so they never starve the others. Advisory
 * locks always succeed (one session holds them all), which is right for one process.
 */
export class PgliteHost {
  private readonly turn = new ConnectionTurn();
  private schema: string | undefined;

  private constructor(
    private readonly pglite: { close(): Promise<void> },
    private readonly connection: Client,
  ) {}

  /** Opens (creating on first use) the database kept in `dataDir`; `memory://` keeps it in memory. */
  static async open(dataDir: string): Promise<PgliteHost> {
    if (!dataDir.startsWith('memory://')) await mkdir(dataDir, { recursive: true });
    // Loaded here, not at the top: only the embedded mode opens PGlite, and the service image
    // leaves the package out (Dockerfile), so requiring @pneumatic/platform must not load it.
    const [{ PGlite }, { createPgConfig }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/node-postgres')]);
    const pglite = await PGlite.create(dataDir);
    const connection = new Client(createPgConfig(pglite));
    await connection.connect();
    return new PgliteHost(pglite, connection);
  }

  /** A `Database` whose unqualified names resolve in `schema`, as `connectDatabase` gives one. */
  database(schema: string): Database {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
    const query = async (...args: QueryArgs) => {
      const end = await this.turn.take();
      try {
        return await this.run(schema, args);
      } finally {
        end();
      }
    };
    const connect = async () => this.client(schema);
    // The services are stopped one by one; the instance itself is closed by `close`.
    const end = async () => undefined;
    return { query, connect, end } as unknown as Database;
  }

  async close(): Promise<void> {
    const end = await this.turn.take();
    try {
      await this.connection.end();
      await this.pglite.close();
    } finally {
      end();
    }
  }

  private async run(schema: string, [text, values]: QueryArgs): Promise<QueryResult> {
    if (this.schema !== schema) {
      // Set outside any transaction, so a rollback cannot undo it.
      await this.connection.query(`SET search_path TO ${schema}`);
      this.schema = schema;
    }
    // Statement names are dropped: a prepared plan would keep the schema it was first planned in.
    return typeof text === 'string' ? this.connection.query(text, values) : this.connection.query(text.text, text.values ?? values);
  }

  /** A pool-like client: holds the connection's turn from BEGIN to COMMIT/ROLLBACK. */
  private client(schema: string): PoolClient {
    let endTurn: (() => void) | undefined;
    let released = false;
    const finishTransaction = () => {
      const end = endTurn;
      endTurn = undefined;
      end?.();
    };
    const query = async (...args: QueryArgs) => {
      if (released) throw new Error('query on a released database client');
      const text = textOf(args[0]);
      const inTransaction = endTurn !== undefined;
      if (!inTransaction) {
        const end = await this.turn.take();
        if (!opensTransaction.test(text)) {
          try {
            return await this.run(schema, args);
          } finally {
            end();
          }
        }
        endTurn = end;
      }
      try {
        return await this.run(schema, args);
      } catch (err) {
        // A failed BEGIN opened nothing.
        if (!inTransaction) finishTransaction();
        throw err;
      } finally {
        if (inTransaction && closesTransaction.test(text)) finishTransaction();
      }
    };
    const release = () => {
      if (released) return;
      released = true;
      if (!endTurn) return;
      const end = endTurn;
      endTurn = undefined;
      // Released inside a transaction (a crashed worker): roll it back before giving the turn on.
      void this.connection.query('ROLLBACK').catch(() => undefined).finally(end);
    };
    return { query, release } as unknown as PoolClient;
  }
}
