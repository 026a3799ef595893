import { randomBytes } from 'node:crypto';
import { populateAnchor, type AnchorAccess } from './anchor/anchor-client';
import { ChatApi, ChatSocket, inBatches, type ChatConnection } from './client';

export interface Target {
  /** Base URLs of the gateways (http://host:port); clients are spread over them. */
  gateways: string[];
  /** Set when the target is the socket.io + Postgres comparison server (bench/src/anchor), not Pneumatic. */
  anchor?: AnchorAccess;
}

export interface Member {
  userId: string;
  token: string;
  socket: ChatConnection;
}

export interface Room {
  conversationId: string;
  members: Member[];
}

const password = 'bench-password-1';
const runTag = randomBytes(3).toString('hex');
/**
 * Numbers each population of this run: a scenario run twice (the open loop at two rates) must not
 * reuse its users, or its rooms of two would be their existing direct conversations, which a
 * create returns without announcing anything.
 */
let populations = 0;

/**
 * `rooms` group conversations of `size` members, one socket per member, sockets spread over
 * the gateways round-robin. Users are fresh per run so no earlier state skews a scenario.
 */
export async function populate(target: Target, label: string, rooms: number, size: number): Promise<Room[]> {
  if (target.anchor) return populateAnchor(target.gateways, target.anchor, rooms, size);
  const apis = target.gateways.map((g) => new ChatApi(g));
  const total = rooms * size;
  const tag = `${runTag}${label}${populations++}`;
  const accounts = await inBatches(Array.from({ length: total }, (_, i) => i), 16, (i) =>
    apis[i % apis.length]!.account(`b${tag}x${i}`.slice(0, 32), password),
  );
  const sockets = await inBatches(accounts, 64, (a, i) => ChatSocket.open(wsBase(target.gateways[i % target.gateways.length]!), a.token));
  // A socket learns of a new conversation from `conversation_created`; sending before every member
  // has heard of it would measure subscription set-up, not messaging.
  const heard = new Map<number, Set<string>>();
  for (const s of sockets) {
    heard.set(s.id, new Set());
    s.onFrame = (frame) => {
      if (frame.type === 'conversation_created') heard.get(s.id)!.add((frame.conversation as { id: string }).id);
    };
  }
  const result = await inBatches(Array.from({ length: rooms }, (_, r) => r), 8, async (r) => {
    const members = accounts.slice(r * size, (r + 1) * size).map((a, j) => ({ userId: a.id, token: a.token, socket: sockets[r * size + j]! }));
    const [owner, ...others] = members;
    const conversationId = await apis[0]!.createGroup(owner!.token, `bench ${label} ${r}`, others.map((m) => m.userId));
    return { conversationId, members };
  });
  const deadline = Date.now() + 60_000;
  const unheard = () => result.flatMap((room) => room.members.filter((m) => !heard.get(m.socket.id)!.has(room.conversationId)));
  while (unheard().length > 0) {
    if (Date.now() > deadline) {
      const missing = unheard();
      const closed = missing.filter((m) => !m.socket.open).length;
      throw new Error(`${missing.length} of ${total} members (${closed} of their sockets closed) did not hear of their conversations within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return result;
}

export const wsBase = (httpBase: string) => httpBase.replace(/^http/, 'ws');

export function closeAll(rooms: Room[]): void {
  for (const room of rooms) for (const m of room.members) m.socket.close();
}
