/**
 * `npm start`'s embedded mode: the launcher as a real process, all five services inside it over
 * PGlite, the in-process bus and the in-memory stores, with no Postgres, NATS or Redis configured.
 * Plays seed 000's flow, then restarts on the same data directory and finds everything again.
 */
import { freePort, TestSocket, waitFor } from '@pneumatic/testkit';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const launcher = path.resolve(__dirname, '..', '..', 'scripts', 'dist', 'embedded.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'pneumatic-embedded-'));

interface Embedded {
  url: string;
  output: string[];
  stop(): Promise<number | null>;
}

async function startEmbedded(): Promise<Embedded> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PNEUMATIC_DATA_DIR: dataDir, PORT: String(port), PASSWORD_MIN_LENGTH: '6', LOG_LEVEL: 'warn' };
  for (const name of ['DATABASE_URL', 'NATS_URL', 'REDIS_URL', 'AUTH_SIGNING_KEY']) delete env[name];
  const child: ChildProcess = spawn(process.execPath, [launcher], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await waitFor(
    'the embedded launcher to print its URL',
    () => {
      if (child.exitCode !== null) throw new Error(`launcher exited with ${child.exitCode}: ${output.join('')}`);
      return output.join('').includes(`Pneumatic is running at http://localhost:${port}`);
    },
    60_000,
    100,
  );
  return {
    url: `http://127.0.0.1:${port}`,
    output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
}

const json = (body: unknown) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const bearer = (token: string, init: RequestInit = {}) => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` },
});

let running: Embedded | undefined;
afterAll(async () => {
  await running?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded mode (npm start without infrastructure)', () => {
  let convId = '';
  let messageId = '';
  let aliceToken = '';
  let loggedOutToken = '';

  it('plays the seed 000 flow in one process', async () => {
    running = await startEmbedded();
    const api = running.url;
    for (const username of ['alice', 'bob']) {
      const res = await fetch(`${api}/auth/signup`, json({ username, password: 'pass123' }));
      expect(res.status).toBe(201);
    }
    const login = async (username: string) => (await (await fetch(`${api}/auth/login`, json({ username, password: 'pass123' }))).json()).access_token as string;
    aliceToken = await login('alice');
    const bobToken = await login('bob');
    const me = async (token: string) => (await (await fetch(`${api}/auth/me`, bearer(token))).json()).id as string;
    const aliceId = await me(aliceToken);
    const bobId = await me(bobToken);

    const created = await fetch(`${api}/conversations`, bearer(aliceToken, json({ title: 'Alice & Bob Chat', member_ids: [bobId] })));
    expect(created.status).toBe(201);
    convId = (await created.json()).id;

    const wsUrl = api.replace('http', 'ws');
    const ws1 = await TestSocket.open(`${wsUrl}/ws?token=${aliceToken}`);
    const ws2 = await TestSocket.open(`${wsUrl}/ws?token=${bobToken}`);
    try {
      for (const ws of [ws1, ws2]) {
        ws.send({ type: 'join', conversation_id: convId });
        expect(await ws.nextOfType('joined')).toEqual({ type: 'joined', conversation_id: convId });
      }
      messageId = randomUUID();
      ws1.send({ type: 'message', message_id: messageId, conversation_id: convId, content: 'Hi Bob!' });
      for (const ws of [ws1, ws2]) {
        const frame = await ws.nextOfType('message', 10_000);
        expect(frame.message).toMatchObject({ message_id: messageId, sender_id: aliceId, content: 'Hi Bob!', seq: 1 });
      }
      const presence = await waitFor('both online', async () => {
        const res = await (await fetch(`${api}/presence?user_ids=${aliceId},${bobId}`, bearer(aliceToken))).json();
        return res.online.length === 2 ? res : undefined;
      });
      expect(presence.online.sort()).toEqual([aliceId, bobId].sort());
    } finally {
      ws1.close();
      ws2.close();
    }
    const history = await (await fetch(`${api}/conversations/${convId}/messages`, bearer(bobToken))).json();
    expect(history).toEqual({ messages: [expect.objectContaining({ message_id: messageId, content: 'Hi Bob!' })], has_more: false });
  }, 120_000);

  it("keeps the pair's one direct conversation, groups of two, the user list without the caller and byte-bounded pages", async () => {
    const api = running!.url;
    const login = async (username: string) => (await (await fetch(`${api}/auth/login`, json({ username, password: 'pass123' }))).json()).access_token as string;
    const bobToken = await login('bob');
    const users = async (token: string) => (await (await fetch(`${api}/users`, bearer(token))).json()).users as { id: string; username: string }[];
    expect((await users(aliceToken)).map((u) => u.username)).toEqual(['bob']);
    const [aliceId] = (await users(bobToken)).map((u) => u.id);
    const again = await fetch(`${api}/conversations`, bearer(bobToken, json({ title: 'Alice', member_ids: [aliceId] })));
    expect(again.status).toBe(200);
    expect((await again.json()).id).toBe(convId);
    const groups = await Promise.all(
      [aliceToken, bobToken].map(async (token, i) => {
        const other = i === 0 ? (await users(aliceToken))[0]!.id : aliceId;
        const res = await fetch(`${api}/conversations`, bearer(token, json({ title: 'Pair', member_ids: [other], kind: 'group' })));
        expect(res.status).toBe(201);
        return (await res.json()).id as string;
      }),
    );
    expect(new Set(groups).size).toBe(2);

    const heavy = '\u0001'.repeat(4000);
    for (let i = 0; i < 56; i++) {
      const group = await (await fetch(`${api}/conversations`, bearer(bobToken, json({ title: `Heavy ${i}`, member_ids: [], kind: 'group' })))).json();
      const sent = await fetch(`${api}/conversations/${group.id}/messages`, bearer(bobToken, json({ content: heavy })));
      expect(sent.status).toBe(201);
    }
    const pages = await waitFor('every heavy summary projected', async () => {
      const seen: { conversations: { last_message: { content: string } | null }[]; next_cursor: string | null }[] = [];
      let cursor = '';
      do {
        seen.push(await (await fetch(`${api}/conversations?limit=100${cursor ? `&cursor=${cursor}` : ''}`, bearer(bobToken))).json());
        cursor = seen[seen.length - 1]!.next_cursor ?? '';
      } while (cursor && seen.length < 20);
      const all = seen.flatMap((p) => p.conversations);
      return all.filter((c) => c.last_message?.content === heavy).length === 56 ? seen : undefined;
    }, 30_000);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flatMap((p) => p.conversations)).toHaveLength(56 + 3);
  }, 120_000);
  it('ends a login session on logout: its token gets 401 and its socket closes 1008', async () => {
    const api = running!.url;
    const pair = await (await fetch(`${api}/auth/login`, json({ username: 'alice', password: 'pass123' }))).json();
    const socket = await TestSocket.open(`${api.replace('http', 'ws')}/ws?token=${pair.access_token}`);
    socket.send({ type: 'ping', ref: 'live' });
    await socket.next((f) => f.type === 'pong');
    const logout = await fetch(`${api}/auth/logout`, bearer(pair.access_token, json({ refresh_token: pair.refresh_token })));
    expect(logout.status).toBe(204);
    expect(await socket.closed()).toEqual({ code: 1008, reason: 'session ended: logged out' });
    expect((await fetch(`${api}/auth/me`, bearer(pair.access_token))).status).toBe(401);
    expect((await fetch(`${api}/auth/me`, bearer(aliceToken))).status).toBe(200);
    loggedOutToken = pair.access_token;
  });

  it('keeps history and conversations across a restart on the same data directory', async () => {
    expect(await running!.stop()).toBe(0);
    running = await startEmbedded();
    const api = running.url;
    // The signing key is kept in the data directory, so the token from before still holds.
    const history = await (await fetch(`${api}/conversations/${convId}/messages`, bearer(aliceToken))).json();
    expect(history.messages).toEqual([expect.objectContaining({ message_id: messageId, content: 'Hi Bob!', seq: 1 })]);
    // The ended session is kept in the database too, so it stays ended.
    expect((await fetch(`${api}/auth/me`, bearer(loggedOutToken))).status).toBe(401);
    // Summaries are rebuilt from the republished events at start: wait for the last message to reappear.
    const listed = await waitFor('the conversation summary to be rebuilt', async () => {
      const body = await (await fetch(`${api}/conversations`, bearer(aliceToken))).json();
      const conversation = body.conversations.find((c: { id: string }) => c.id === convId);
      return conversation?.last_message ? conversation : undefined;
    }, 30_000);
    expect(listed).toMatchObject({ id: convId, title: 'Alice & Bob Chat', last_message: expect.objectContaining({ content: 'Hi Bob!' }) });
  }, 120_000);
});
