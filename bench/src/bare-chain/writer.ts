/**
 * The bare chain's writer: answers each send request once its row is committed (one INSERT per
 * batch of whatever queued meanwhile), then publishes it on the room's subject. No validation, no
 * event store, no relay: only the hops and the commit a Pneumatic send also pays.
 */
import { connect, type Msg } from 'nats';
import { Client } from 'pg';

const [databaseUrl, natsUrl, prefix, table] = process.argv.slice(2) as [string, string, string, string];

/** Subjects end in the room's name: `<prefix>.send.<room>`. */
const roomOf = (subject: string) => subject.slice(subject.lastIndexOf('.') + 1);

async function main(): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, room text NOT NULL, body bytea NOT NULL)`);
  const nc = await connect({ servers: natsUrl });
  let queued: { msg: Msg; room: string }[] = [];
  let committing = false;
  const commit = async (): Promise<void> => {
    if (committing || queued.length === 0) return;
    committing = true;
    const batch = queued;
    queued = [];
    await db.query({
      name: 'insert',
      text: `INSERT INTO ${table} (room, body) SELECT * FROM unnest($1::text[], $2::bytea[])`,
      values: [batch.map((b) => b.room), batch.map((b) => Buffer.from(b.msg.data))],
    });
    for (const { msg, room } of batch) {
      msg.respond(msg.data);
      nc.publish(`${prefix}.room.${room}`, msg.data);
    }
    committing = false;
    void commit();
  };
  nc.subscribe(`${prefix}.send.*`, {
    callback: (_err, msg) => {
      queued.push({ msg, room: roomOf(msg.subject) });
      void commit();
    },
  });
  await nc.flush();
  process.send?.('ready');
  process.once('SIGTERM', () => void Promise.all([nc.close(), db.query(`DROP TABLE ${table}`).then(() => db.end())]).then(() => process.exit(0)));
}

void main();
