import { DomainError, type Message } from '@pneumatic/contracts';
import type { EventMetadata, StreamAppend } from '@pneumatic/platform';
import { randomUUID } from 'node:crypto';
import { decide, evolve, sentKey, stateOf, type MessageStreamState, type SendMessage } from './message-stream';
import type { StreamTip } from './stream-tips';

export type SendRequest = Omit<SendMessage, 'type' | 'id' | 'now'>;
export interface SendItem {
  request: SendRequest;
  metadata: EventMetadata;
}
export interface AppendResult {
  message: Message;
  duplicate: boolean;
}
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface DecidedSends {
  /** One per item, in item order. */
  outcomes: Outcome<AppendResult>[];
  appends: StreamAppend[];
  /** Where each conversation's stream ends once the appends are stored. */
  tips: Map<string, StreamTip>;
}

export const usedElsewhere = () => new DomainError('conflict', 'message_id was already used for a message in another conversation');

/**
 * Runs the decider over a batch of sends, conversation by conversation in arrival order, from each
 * conversation's tip and the stored originals of any retried sends. A client id belongs to the
 * conversation of its stored original, else of its first send in the batch. No I/O.
 */
export function decideSendBatch(items: SendItem[], tips: Map<string, StreamTip>, originals: Message[] = []): DecidedSends {
  const outcomes: Outcome<AppendResult>[] = new Array(items.length);
  const owner = new Map(originals.map((m) => [sentKey(m.sender_id, m.message_id), m.conversation_id]));
  const states = new Map<string, MessageStreamState>();
  const decided = new Map<string, StreamAppend['events']>();
  items.forEach(({ request, metadata }, index) => {
    const { conversationId } = request;
    const key = sentKey(request.actorId, request.clientMessageId);
    if (!owner.has(key)) owner.set(key, conversationId);
    if (owner.get(key) !== conversationId) return void (outcomes[index] = { ok: false, error: usedElsewhere() });
    let state = states.get(conversationId) ?? stateOf({ lastSeq: tips.get(conversationId)!.lastSeq, messages: originals.filter((m) => m.conversation_id === conversationId) });
    try {
      const events = decide({ ...request, type: 'SendMessage', id: randomUUID(), now: new Date() }, state);
      state = events.reduce(evolve, state);
      const stream = decided.get(conversationId) ?? decided.set(conversationId, []).get(conversationId)!;
      stream.push(...events.map((e) => ({ ...e, metadata })));
      outcomes[index] = { ok: true, value: { message: state.messages[state.sent[key]!]!, duplicate: events.length === 0 } };
    } catch (error) {
      outcomes[index] = { ok: false, error };
    }
    states.set(conversationId, state);
  });
  // In id order, as the careful path locks them, so two batches meeting on a conversation rarely deadlock.
  const appends = [...decided]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([streamId, events]) => ({ streamId, expectedVersion: tips.get(streamId)!.version, events }));
  const after = new Map([...states].map(([id, state]) => [id, { version: tips.get(id)!.version + (decided.get(id)?.length ?? 0), lastSeq: state.lastSeq }]));
  return { outcomes, appends, tips: after };
}
