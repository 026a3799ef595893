/**
 * Fan-out follows interest (issue #21.6): four gateways, with users spread over them so that each
 * gateway's sockets belong to a known set of conversations carrying different shares of the
 * traffic, and one conversation no socket anywhere belongs to. The traffic is sent over HTTP by a
 * member who holds no socket (an HTTP send makes its gateway subscribe to nothing), so every
 * delivery a gateway makes comes from what it received from NATS. Each gateway's
 * `pneumatic_gateway_realtime_messages_received_total{event="message.sent"}` must grow by exactly
 * the messages of the conversations its own sockets belong to: a gateway hears none of a
 * conversation it has no member of. Events of other types (presence, typing, read receipts) are
 * counted under their own `event` label and allowed only as a small remainder.
 */
import { TestSocket, waitFor } from '@pneumatic/testkit';
import type { ChatUser } from './harness/chat-client';
import { createConversation, signUp } from './harness/chat-load';
import { postMessage, sendAll, type PlannedSend } from './harness/http-sends';
import { counterByLabel } from './harness/metric-counter';
import { PrivateInfrastructure } from './harness/private-infrastructure';
import { StackUnderTest } from './harness/stack-under-test';

jest.setTimeout(180_000);

const gateways = 4;
const received = 'pneumatic_gateway_realtime_messages_received_total';
/** Messages per conversation: 50 %, 25 %, 15 %, 5 % and 5 % of the traffic. */
const traffic = { c1: 400, c2: 200, c3: 120, c4: 40, c5: 40 } as const;
type ConversationName = keyof typeof traffic;
/** Who holds a socket where; c5's members hold none. */
const sockets: { gateway: number; user: string; conversations: ConversationName[] }[] = [
  { gateway: 0, user: 'a1', conversations: ['c1'] },
  { gateway: 0, user: 'a2', conversations: ['c1'] },
  { gateway: 1, user: 'b1', conversations: ['c2'] },
  { gateway: 1, user: 'b2', conversations: ['c2', 'c3'] },
  { gateway: 2, user: 'c1', conversations: ['c3'] },
  { gateway: 3, user: 'd1', conversations: ['c4'] },
];
/** Other events a gateway may hear meanwhile (a presence transition reaches every gateway): at most this share more. */
const otherEventsTolerance = 0.02;

let infra: PrivateInfrastructure;
let stack: StackUnderTest;
const open: TestSocket[] = [];

beforeAll(async () => {
  infra = await PrivateInfrastructure.start();
  stack = await StackUnderTest.start(infra, {}, { gateways, messagesReplicas: 1 });
}, 150_000);

afterAll(async () => {
  for (const s of open) s.close();
  await stack?.stop();
  await infra?.stop();
}, 60_000);

const heard = (socket: TestSocket, conversationId: string, prefix: string) =>
  socket.frames.filter((f) => {
    const m = f.type === 'message' ? (f.message as { conversation_id: string; message_id: string }) : undefined;
    return m?.conversation_id === conversationId && m.message_id.startsWith(prefix);
  }).length;

/** The counter on every gateway, by event type, once two readings 300 ms apart agree (nothing still in flight). */
async function settledCounts(): Promise<Map<string, number>[]> {
  const read = () => Promise.all(Array.from({ length: gateways }, (_, g) => counterByLabel(`${stack.httpUrl(g)}/metrics`, received, 'event')));
  let last = JSON.stringify([]);
  return waitFor('the gateways’ counters to settle', async () => {
    const now = await read();
    const same = JSON.stringify(now.map((m) => [...m].sort())) === last;
    last = JSON.stringify(now.map((m) => [...m].sort()));
    return same && now;
  }, 20_000, 300);
}

it('has each gateway receive from NATS only the messages of conversations its own sockets belong to', async () => {
  const api = stack.httpUrl(0);
  const run = Math.random().toString(36).slice(2, 8);
  const sender = await signUp(api, `interest_${run}_sender`);
  const users = new Map<string, ChatUser>();
  for (const name of [...sockets.map((s) => s.user), 'e1']) users.set(name, await signUp(api, `interest_${run}_${name}`));
  const membersOf = (c: ConversationName) => [
    ...sockets.filter((s) => s.conversations.includes(c)).map((s) => users.get(s.user)!),
    ...(c === 'c5' ? [users.get('e1')!] : []),
  ];
  const ids = new Map<ConversationName, string>();
  for (const c of Object.keys(traffic) as ConversationName[]) ids.set(c, (await createConversation(api, sender, `interest ${c}`, membersOf(c))).id);

  const placed = await Promise.all(
    sockets.map(async (s) => {
      const socket = await TestSocket.open(`${stack.wsUrls()[s.gateway]}/ws?token=${users.get(s.user)!.token}`);
      open.push(socket);
      return { ...s, socket };
    }),
  );

  // A gateway subscribes once it has looked up the user's conversations: probe until every socket hears each of its own.
  let probes = 0;
  await waitFor('every socket to hear a probe in each of its conversations', async () => {
    const deaf = [...new Set(placed.flatMap((p) => p.conversations.filter((c) => heard(p.socket, ids.get(c)!, 'probe.') === 0)))];
    for (const c of deaf) await postMessage(api, { sender, conversationId: ids.get(c)!, messageId: `probe.${++probes}`, content: 'probe' });
    return deaf.length === 0;
  }, 30_000, 300);

  const before = await settledCounts();
  const sends: PlannedSend[] = (Object.entries(traffic) as [ConversationName, number][])
    .flatMap(([c, n]) => Array.from({ length: n }, (_, i) => ({ sender, conversationId: ids.get(c)!, messageId: `traffic.${c}.${i}`, content: `traffic ${c} #${i}` })))
    .sort(() => Math.random() - 0.5);
  const started = Date.now();
  await sendAll(stack.wsUrls().map((_, g) => stack.httpUrl(g)), sends, 16);
  const sendMs = Date.now() - started;
  await waitFor('every socket to hear all the traffic of its conversations', () =>
    placed.every((p) => p.conversations.every((c) => heard(p.socket, ids.get(c)!, 'traffic.') >= traffic[c])), 30_000, 100);
  const after = await settledCounts();

  const rows = Array.from({ length: gateways }, (_, g) => {
    const interest = [...new Set(placed.filter((p) => p.gateway === g).flatMap((p) => p.conversations))].sort();
    const delta = (event?: string) =>
      [...after[g]!].filter(([e]) => event === undefined || e === event).reduce((sum, [e, v]) => sum + v - (before[g]!.get(e) ?? 0), 0);
    const messages = delta('message.sent');
    return { gateway: `gateway-${g + 1}`, interest, expected: interest.reduce((sum, c) => sum + traffic[c], 0), messages, other: delta() - messages };
  });
  const total = sends.length;
  console.log(
    [`${total} messages sent over HTTP in ${sendMs} ms (c1 ${traffic.c1}, c2 ${traffic.c2}, c3 ${traffic.c3}, c4 ${traffic.c4}, c5 ${traffic.c5}: no socket anywhere)`,
      'gateway | its sockets belong to | messages of those | message.sent received from NATS | share of all traffic | other events received']
      .concat(rows.map((r) => [r.gateway, r.interest.join('+'), r.expected, r.messages, `${((100 * r.messages) / total).toFixed(1)} %`, r.other].join(' | ')))
      .join('\n'),
  );
  for (const r of rows) {
    expect({ gateway: r.gateway, received: r.messages }).toEqual({ gateway: r.gateway, received: r.expected });
    expect(r.other).toBeLessThanOrEqual(Math.ceil(r.expected * otherEventsTolerance) + 2);
  }
});
