/**
 * Thousands of well-behaved clients (ChatClient) for the scale-out suites: users with several
 * devices each, in direct chats and small groups, most devices on one gateway. Sign-up costs two
 * argon2 hashes per user, so a crowd has fewer users than sockets and is set up in parallel.
 */
import { ChatClient, type ChatUser, type ClientOptions } from './chat-client';
import { ChatLoad, createConversation, signUp, type ChatConversation } from './chat-load';
import { inChunks } from './in-chunks';
import type { StackUnderTest } from './stack-under-test';

export interface CrowdShape {
  users: number;
  /** Devices of every user connected to gateway-1. */
  devicesOnFirst: number;
  /** Every n-th user also has a device on gateway-2. */
  secondGatewayEvery: number;
  /** Every n-th user's first device sends; the rest only receive. */
  senderEvery: number;
  sendIntervalMs: number;
}

export interface Crowd {
  load: ChatLoad;
  /** The clients that connected to gateway-1 first. */
  onFirst: ChatClient[];
  senders: ChatClient[];
  setupMs: { users: number; conversations: number; sockets: number };
}

/** Requests in flight at once while setting up: enough to keep auth's argon2 busy on both cores. */
const setupConcurrency = 48;
const clientOptions: ClientOptions = { replyTimeoutMs: 20_000, sendDeadlineMs: 90_000 };

/**
 * Who talks to whom: a direct chat per pair of neighbours, a group of four per block (shifted by one,
 * so it spans two pairs), and a group of three across the thirds of the crowd.
 */
function memberLists(n: number): number[][] {
  const lists: number[][] = [];
  for (let i = 0; i + 1 < n; i += 2) lists.push([i, i + 1]);
  for (let i = 1; i + 3 < n; i += 4) lists.push([i, i + 1, i + 2, i + 3]);
  const third = Math.floor(n / 3);
  for (let i = 0; i < third; i++) lists.push([i, i + third, i + 2 * third]);
  return lists;
}

export async function gatherCrowd(stack: StackUnderTest, shape: CrowdShape): Promise<Crowd> {
  const apis = [stack.httpUrl(0), stack.httpUrl(1)];
  const run = Math.random().toString(36).slice(2, 8);
  let started = Date.now();
  const users = await inChunks(
    Array.from({ length: shape.users }, (_, i) => i),
    setupConcurrency,
    (i) => signUp(apis[i % 2]!, `crowd_${run}_${i}`),
  );
  const usersMs = Date.now() - started;

  started = Date.now();
  const conversations: ChatConversation[] = await inChunks(memberLists(shape.users), setupConcurrency, ([owner, ...others], k) =>
    createConversation(apis[k % 2]!, users[owner!]!, others.length > 1 ? `crowd-${k}` : '', others.map((o) => users[o]!)),
  );
  const conversationsMs = Date.now() - started;

  const ofUser = users.map(() => [] as string[]);
  conversations.forEach((c, k) => memberLists(shape.users)[k]!.forEach((u) => ofUser[u]!.push(c.id)));
  const clients: ChatClient[] = [];
  const onFirst: ChatClient[] = [];
  const senders: ChatClient[] = [];
  users.forEach((user: ChatUser, u) => {
    const device = (label: string, gateway: number) => new ChatClient(label, user, ofUser[u]!, stack.wsUrls(), gateway, clientOptions);
    for (let d = 0; d < shape.devicesOnFirst; d++) onFirst.push(device(`u${u}d${d}`, 0));
    if (u % shape.senderEvery === 0) senders.push(onFirst[onFirst.length - shape.devicesOnFirst]!);
    if (u % shape.secondGatewayEvery === 0) clients.push(device(`u${u}g2`, 1));
  });
  clients.push(...onFirst);

  started = Date.now();
  const connected = await inChunks(clients, setupConcurrency, (c) => c.connect());
  const missing = connected.filter((ok) => !ok).length;
  if (missing > 0) throw new Error(`${missing} of ${clients.length} crowd clients could not connect`);
  const socketsMs = Date.now() - started;

  return {
    load: ChatLoad.over(users, conversations, clients, shape.sendIntervalMs),
    onFirst,
    senders,
    setupMs: { users: usersMs, conversations: conversationsMs, sockets: socketsMs },
  };
}
