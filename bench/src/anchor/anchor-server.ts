/**
 * The comparison server of `npm run bench -- --anchor` (issue #18): what a Node team would build
 * instead of Pneumatic in a day. socket.io 4.8 with the Redis adapter across instances; a message
 * is checked against a membership cache, INSERTed into Postgres (pool of 10, autocommit,
 * idempotent on sender + message_id) and broadcast to its room. No seq, event store, outbox,
 * projections, presence or recovery. One instance per process; anchor-stack.ts starts two.
 *
 * Protocol (bench/src/anchor/anchor-client.ts speaks it): the handshake carries `auth.token`, an
 * HS256 JWT whose `sub` is the user id; `POST /rooms {members}` creates a room and tells its
 * members' sockets (`room_created`); the client emits `message {room_id, message_id, content}` and
 * every member's socket, the sender's included, gets `message`; a refusal is `chat_error {ref, code}`.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { Server, type Socket } from 'socket.io';

const port = Number(process.env.PORT ?? 19000);
const secret = process.env.ANCHOR_SECRET ?? '';
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const members = new Map<string, Set<string>>();

async function isMember(roomId: string, userId: string): Promise<boolean> {
  let room = members.get(roomId);
  if (!room) {
    const { rows } = await pool.query<{ user_id: string }>('SELECT user_id FROM memberships WHERE room_id = $1', [roomId]);
    room = new Set(rows.map((r) => r.user_id));
    if (room.size > 0) members.set(roomId, room);
  }
  return room.has(userId);
}

interface Outgoing {
  id: string;
  conversation_id: string;
  sender_id: string;
  message_id: string;
  content: string;
  created_at: string;
}

async function storeMessage(roomId: string, senderId: string, messageId: string, content: string): Promise<Outgoing | undefined> {
  const { rows } = await pool.query<{ id: string; created_at: Date }>(
    `INSERT INTO messages (room_id, sender_id, message_id, content) VALUES ($1, $2, $3, $4)
     ON CONFLICT (sender_id, message_id) DO NOTHING RETURNING id::text, created_at`,
    [roomId, senderId, messageId, content],
  );
  const row = rows[0];
  if (!row) return undefined; // a retry of a stored message: acknowledged before, not broadcast again
  return { id: row.id, conversation_id: roomId, sender_id: senderId, message_id: messageId, content, created_at: row.created_at.toISOString() };
}

function onConnection(io: Server, socket: Socket): void {
  const userId = socket.data.userId as string;
  void socket.join(`user:${userId}`);
  void pool.query<{ room_id: string }>('SELECT room_id FROM memberships WHERE user_id = $1', [userId]).then(({ rows }) => socket.join(rows.map((r) => r.room_id)));
  socket.on('message', async (payload: { room_id?: string; message_id?: string; content?: string }) => {
    const { room_id: roomId, message_id: messageId, content } = payload ?? {};
    if (typeof roomId !== 'string' || typeof messageId !== 'string' || typeof content !== 'string' || content.length > 4000) {
      socket.emit('chat_error', { ref: messageId, code: 'invalid_frame' });
      return;
    }
    try {
      if (!(await isMember(roomId, userId))) return void socket.emit('chat_error', { ref: messageId, code: 'forbidden' });
      const message = await storeMessage(roomId, userId, messageId, content);
      if (message) io.to(roomId).emit('message', message);
    } catch {
      socket.emit('chat_error', { ref: messageId, code: 'unavailable' });
    }
  });
}

async function createRoom(io: Server, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) body += chunk;
  const { members: ids } = JSON.parse(body) as { members: string[] };
  const { rows } = await pool.query<{ id: string }>('INSERT INTO rooms DEFAULT VALUES RETURNING id::text');
  const roomId = rows[0]!.id;
  await pool.query('INSERT INTO memberships (room_id, user_id) SELECT $1, unnest($2::uuid[])', [roomId, ids]);
  members.set(roomId, new Set(ids));
  // Through the adapter, so members' sockets on the other instance join too.
  io.in(ids.map((id) => `user:${id}`)).socketsJoin(roomId);
  io.to(ids.map((id) => `user:${id}`)).emit('room_created', { id: roomId });
  res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: roomId }));
}

async function main(): Promise<void> {
  const pub = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const sub = pub.duplicate();
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub, { key: process.env.ANCHOR_REDIS_KEY ?? 'anchor' }), transports: ['websocket'], perMessageDeflate: false });
  io.use((socket, next) => {
    try {
      socket.data.userId = (jwt.verify(String(socket.handshake.auth.token), secret, { algorithms: ['HS256'] }) as { sub: string }).sub;
      next();
    } catch {
      next(new Error('unauthorized'));
    }
  });
  io.on('connection', (socket) => onConnection(io, socket));
  http.on('request', (req, res) => {
    if (req.url?.startsWith('/socket.io')) return;
    if (req.method === 'POST' && req.url === '/rooms') return void createRoom(io, req, res).catch(() => res.writeHead(500).end());
    if (req.url === '/metrics') return void res.writeHead(200).end(`process_resident_memory_bytes ${process.memoryUsage().rss}\n`);
    res.writeHead(req.url === '/ready' ? 200 : 404).end();
  });
  http.listen(port, '127.0.0.1');
}

void main();
