/**
 * Compares what clients were acknowledged and shown with what history stores:
 * acknowledged ⊆ stored, each stored exactly once, seqs 1..N with no gap, and every member client
 * shown exactly the stored messages in seq order (after a final `sync`).
 */
import { retryableCodes, type ChatClient } from './chat-client';
import { steadily, type ChatLoad } from './chat-load';
import { inChunks } from './in-chunks';

interface StoredMessage {
  id: string;
  message_id: string;
  seq: number;
  sender_id: string;
}

export interface PhaseCounts {
  phase: string;
  acknowledged: number;
  stored: number;
  delivered: number;
  expectedDeliveries: number;
  lost: number;
  duplicated: number;
  /** Send attempts answered with a retryable error (`unavailable`, `overloaded`, `rate_limited`), by code. */
  retryableAnswers: Record<string, number>;
  /** Attempts cut short because the socket went away (the client reconnects and retries). */
  socketLost: number;
  /** Attempts with no answer at all on an open socket within the reply timeout. */
  silent: number;
  /** Attempts answered with a code that is neither success nor retryable. */
  unclear: Record<string, number>;
}

export interface DeliveryReport {
  violations: string[];
  counts: PhaseCounts;
  storedPerConversation: Map<string, number>;
}

/** What the checker reads of a client: a ChatClient, or a stand-in for one running in another process. */
export type CheckedClient = Pick<ChatClient, 'label' | 'user' | 'conversations' | 'sends' | 'shown' | 'violations' | 'catchUp'>;

/** History reads in flight at once. */
const historyReaders = 16;

export async function readHistory(api: string, token: string, conversationId: string): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  for (;;) {
    const after = all.length === 0 ? 0 : all[all.length - 1]!.seq;
    const page = (await steadily(`history of ${conversationId}`, async () => {
      const res = await fetch(`${api}/conversations/${conversationId}/messages?after_seq=${after}&limit=200`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      if (res.status !== 200) throw new Error(`history ${res.status}`);
      return res.json();
    })) as { messages: StoredMessage[]; has_more: boolean };
    all.push(...page.messages);
    if (!page.has_more || page.messages.length === 0) return all;
  }
}

/** Catches every client up, then checks the whole record; counts are for `phase`'s messages. */
export async function checkDelivery(api: string, load: Pick<ChatLoad, 'conversations'> & { clients: CheckedClient[] }, phase: string): Promise<DeliveryReport> {
  const violations: string[] = [];
  const stored = new Map<string, StoredMessage[]>();
  // A few at a time: a crowd has thousands of conversations, one after another they take minutes.
  const histories = await inChunks(load.conversations, historyReaders, (c) => readHistory(api, c.members[0]!.token, c.id));
  load.conversations.forEach((c, i) => stored.set(c.id, histories[i]!));
  const storedPerConversation = new Map([...stored].map(([id, messages]) => [id, messages.length]));

  const caughtUp = await Promise.all(load.clients.map((client) => client.catchUp(storedPerConversation, 60_000)));
  caughtUp.forEach((ok, i) => ok || violations.push(`${load.clients[i]!.label} could not catch up by sync within 60 s`));

  const storedCount = new Map<string, number>();
  for (const [conversationId, messages] of stored) {
    messages.forEach((m, i) => {
      if (m.seq !== i + 1) violations.push(`${conversationId}: history has seq ${m.seq} at position ${i + 1}`);
      const key = `${m.sender_id}/${m.message_id}`;
      storedCount.set(key, (storedCount.get(key) ?? 0) + 1);
    });
  }
  const inPhase = (messageId: string) => messageId.startsWith(`${phase}.`);
  const counts: PhaseCounts = {
    phase,
    acknowledged: 0,
    stored: 0,
    delivered: 0,
    expectedDeliveries: 0,
    lost: 0,
    duplicated: 0,
    retryableAnswers: {},
    socketLost: 0,
    silent: 0,
    unclear: {},
  };
  for (const [key, n] of storedCount) {
    if (n > 1) violations.push(`${key} stored ${n} times`);
    if (inPhase(key.split('/')[1]!)) {
      counts.stored++;
      if (n > 1) counts.duplicated++;
    }
  }

  for (const client of load.clients) {
    for (const send of client.sends) {
      const key = `${client.user.id}/${send.messageId}`;
      if (send.acked && !storedCount.has(key)) violations.push(`${send.messageId} was acknowledged but is not in history`);
      if (send.phase !== phase) continue;
      if (send.acked) counts.acknowledged++;
      if (send.acked && !storedCount.has(key)) counts.lost++;
      for (const { outcome } of send.attempts) {
        if (outcome === 'ack') continue;
        if (retryableCodes.has(outcome)) counts.retryableAnswers[outcome] = (counts.retryableAnswers[outcome] ?? 0) + 1;
        else if (outcome === 'closed') counts.socketLost++;
        else if (outcome === 'timeout') counts.silent++;
        else counts.unclear[outcome] = (counts.unclear[outcome] ?? 0) + 1;
      }
    }
    for (const conversationId of client.conversations) {
      const history = stored.get(conversationId)!;
      const shown = client.shown.get(conversationId)!;
      if (shown.length !== history.length) violations.push(`${client.label} shows ${shown.length} of ${history.length} messages of ${conversationId}`);
      history.forEach((m, i) => {
        if (shown[i] !== undefined && shown[i] !== m.id) violations.push(`${client.label} shows ${shown[i]} at seq ${i + 1}, history has ${m.id}`);
        if (!inPhase(m.message_id)) return;
        counts.expectedDeliveries++;
        if (shown[i] === m.id) counts.delivered++;
      });
    }
    violations.push(...client.violations.splice(0));
  }
  return { violations, counts, storedPerConversation };
}

/** What every fault suite asserts of a phase: nothing lost or duplicated, everyone shown everything, every send answered. */
export function expectDelivered({ violations, counts }: Pick<DeliveryReport, 'violations' | 'counts'>): void {
  expect(violations).toEqual([]);
  expect(counts.acknowledged).toBeGreaterThan(0);
  expect(counts.lost).toBe(0);
  expect(counts.duplicated).toBe(0);
  expect(counts.delivered).toBe(counts.expectedDeliveries);
  expect(counts.silent).toBe(0);
  expect(counts.unclear).toEqual({});
}
