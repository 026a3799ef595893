import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { freshBenchDatabase, untilReady } from '../local-stack';

export interface AnchorStack {
  /** Base URLs of the two instances. */
  urls: string[];
  /** Signs the users' tokens (HS256), as the anchor's own login would. */
  secret: string;
  databaseUrl: string;
  /** The instances' pids, for CPU accounting. */
  pids: number[];
  stop(): Promise<void>;
}

const schema = `
  CREATE TABLE rooms (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
  CREATE TABLE memberships (room_id uuid NOT NULL REFERENCES rooms, user_id uuid NOT NULL, PRIMARY KEY (room_id, user_id));
  CREATE INDEX memberships_by_user ON memberships (user_id);
  CREATE TABLE messages (
    id bigserial PRIMARY KEY,
    room_id uuid NOT NULL REFERENCES rooms,
    sender_id uuid NOT NULL,
    message_id text NOT NULL,
    content text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sender_id, message_id)
  );
  CREATE INDEX messages_by_room ON messages (room_id, id);`;

/** Two anchor instances (anchor-server.ts) on `basePort` and the next, on a fresh database of their own. */
export async function startAnchorStack(basePort: number, database = 'pneumatic_bench_anchor'): Promise<AnchorStack> {
  const databaseUrl = await freshBenchDatabase(database);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(schema);
  await db.end();
  const secret = randomBytes(32).toString('hex');
  const key = `anchor${process.pid}`;
  const children: ChildProcess[] = [0, 1].map((i) =>
    spawn(process.execPath, ['--single-threaded-gc', path.join(__dirname, 'anchor-server.js')], {
      env: { ...process.env, PORT: String(basePort + i), DATABASE_URL: databaseUrl, ANCHOR_SECRET: secret, ANCHOR_REDIS_KEY: key },
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
  const urls = [0, 1].map((i) => `http://127.0.0.1:${basePort + i}`);
  await untilReady(urls, 30_000);
  return {
    urls,
    secret,
    databaseUrl,
    pids: children.map((c) => c.pid!),
    async stop() {
      await Promise.all(children.map((c) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : (c.once('exit', () => resolve()), c.kill('SIGTERM'))))));
    },
  };
}
