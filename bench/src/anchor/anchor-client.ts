import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { inBatches, nextConnectionId, type ChatConnection, type Frame } from '../client';
import type { Room } from '../population';

/** What the bench needs to act as the anchor's users: the secret its tokens are signed with. */
export interface AnchorAccess {
  secret: string;
}

/**
 * A socket.io client of the anchor (anchor-server.ts), seen by the scenarios as Pneumatic frames:
 * `message` as `{type: 'message', message}`, `room_created` as `conversation_created`, and
 * `chat_error` as `error`, so Traffic and the ledger count both servers the same way.
 */
export class AnchorSocket implements ChatConnection {
  readonly id = nextConnectionId();
  onFrame: (frame: Frame, socket: ChatConnection) => void = () => undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('message', (message: unknown) => this.onFrame({ type: 'message', message }, this));
    socket.on('room_created', (room: { id: string }) => this.onFrame({ type: 'conversation_created', conversation: room }, this));
    socket.on('chat_error', (error: { ref?: string; code: string }) => this.onFrame({ type: 'error', ...error }, this));
  }

  static open(baseUrl: string, token: string, timeoutMs = 30_000): Promise<AnchorSocket> {
    const socket = io(baseUrl, { transports: ['websocket'], auth: { token }, reconnection: false, timeout: timeoutMs });
    const anchor = new AnchorSocket(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(anchor));
      socket.once('connect_error', reject);
    });
  }

  sendMessage(conversationId: string, content: string, messageId: string = randomUUID()): string {
    this.socket.emit('message', { room_id: conversationId, message_id: messageId, content });
    return messageId;
  }

  get open(): boolean {
    return this.socket.connected;
  }

  close(): void {
    this.socket.close();
  }
}

/** A token of the anchor for `userId`, as its own login would issue. */
const anchorToken = (access: AnchorAccess, userId: string) => jwt.sign({ sub: userId }, access.secret, { algorithm: 'HS256', expiresIn: '1h' });

/** Tokens of `count` fresh users. */
export const anchorTokens = (access: AnchorAccess, count: number) => Array.from({ length: count }, () => anchorToken(access, randomUUID()));

/**
 * `rooms` rooms of `size` fresh users on the anchor, sockets spread over its instances, each member
 * having heard of its room: the anchor's counterpart of `populate`.
 */
export async function populateAnchor(urls: string[], access: AnchorAccess, rooms: number, size: number): Promise<Room[]> {
  const users = Array.from({ length: rooms * size }, () => randomUUID());
  const tokenOf = (userId: string) => anchorToken(access, userId);
  const sockets = await inBatches(users, 64, (userId, i) => AnchorSocket.open(urls[i % urls.length]!, tokenOf(userId)));
  const heard = new Map<number, Set<string>>(sockets.map((s) => [s.id, new Set()]));
  for (const s of sockets) s.onFrame = (frame) => frame.type === 'conversation_created' && heard.get(s.id)!.add((frame.conversation as { id: string }).id);
  const result = await inBatches(Array.from({ length: rooms }, (_, r) => r), 8, async (r) => {
    const ids = users.slice(r * size, (r + 1) * size);
    const res = await fetch(`${urls[0]}/rooms`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ members: ids }) });
    if (res.status !== 201) throw new Error(`the anchor refused a room: ${res.status}`);
    const { id } = (await res.json()) as { id: string };
    return { conversationId: id, members: ids.map((userId, j) => ({ userId, token: tokenOf(userId), socket: sockets[r * size + j]! })) };
  });
  const deadline = Date.now() + 60_000;
  while (!result.every((room) => room.members.every((m) => heard.get(m.socket.id)!.has(room.conversationId)))) {
    if (Date.now() > deadline) throw new Error('anchor members did not all hear of their rooms within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return result;
}
