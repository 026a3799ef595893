/**
 * The bare chain's gateway: a WebSocket frame becomes a NATS request to the writer, and every
 * message on a room's subject goes to the room's sockets here, serialized once.
 */
import { connect } from 'nats';
import { WebSocketServer, type WebSocket } from 'ws';

const [natsUrl, prefix] = process.argv.slice(2) as [string, string];

async function main(): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  const rooms = new Map<string, Set<WebSocket>>();
  const server = new WebSocketServer({ port: 0, perMessageDeflate: false });
  const listening = new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (ws, req) => {
    const room = new URL(req.url ?? '/', 'http://bare').searchParams.get('room') ?? '';
    (rooms.get(room) ?? rooms.set(room, new Set()).get(room)!).add(ws);
    ws.on('message', (data: Buffer) => void nc.request(`${prefix}.send.${room}`, data, { timeout: 5000 }).catch(() => undefined));
    ws.on('close', () => rooms.get(room)?.delete(ws));
  });
  nc.subscribe(`${prefix}.room.*`, {
    callback: (_err, msg) => {
      const text = Buffer.from(msg.data).toString();
      // `<prefix>.room.<room>`
      for (const ws of rooms.get(msg.subject.slice(msg.subject.lastIndexOf('.') + 1)) ?? []) ws.send(text);
    },
  });
  await Promise.all([nc.flush(), listening]);
  process.send?.(String((server.address() as { port: number }).port));
  process.once('SIGTERM', () => void nc.close().then(() => process.exit(0)));
}

void main();
