import { Id, type Message } from '@pneumatic/contracts';
import {
  appendToStream,
  isStreamVersionConflict,
  lockStream,
  lockStreams,
  streamAppendCtes,
  withTransaction,
  type Database,
  type EventMetadata,
  type PoolClient,
} from '@pneumatic/platform';
import {
  decide,
  evolve,
  stateOf,
  type DeleteMessage,
  type EditMessage,
  type MarkRead,
  type MessageStreamEvent,
  type ReactToMessage,
} from '../domain/message-stream';
import { decideSendBatch, usedElsewhere, type AppendResult, type DecidedSends, type Outcome, type SendItem, type SendRequest } from '../domain/send-batch';
import { historyPage } from '../domain/history-page';
import { StreamTips, type StreamTip } from '../domain/stream-tips';
import type { BatchPath } from './messages-metrics';
import { historyColumns, projectToHistory, sentHistoryRows, toMessage, type HistoryRow, type StoredMessageEvent } from './history-projection';

export type { AppendResult, Outcome, SendItem, SendRequest } from '../domain/send-batch';

type Queryable = Pick<PoolClient, 'query'>;

const uniqueViolation = '23505';
/** How a batch written from remembered tips fails when they were stale, or when a send was a retry. */
const optimisticFailures = new Set([uniqueViolation, '40P01' /* deadlock with another replica's batch */]);

/** History rows sent by `$1[i]` under client message id `$2[i]`: the originals of retried sends. */
const sentByClientIds = `FROM history h JOIN unnest($1::uuid[], $2::text[]) AS k(sender, client_id)
  ON h.sender_id = k.sender AND h.client_message_id = k.client_id`;

/** Each message once, though several retries in one lookup matched it. */
const distinctMessages = (rows: HistoryRow[]): Message[] => [...new Map(rows.map((r) => [r.id, toMessage(r)])).values()];

/** Message streams in the event store (stream id = conversation id) and their inline history read model. */
export class MessageStore {
  private readonly tips = new StreamTips();

  constructor(
    private readonly db: Database,
    /** Told the path of every batch of sends (see batchPathCounter). */
    private readonly tookPath: (path: BatchPath) => void = () => undefined,
  ) {}

  /**
   * Stores one message, or returns the original when this sender already sent this client
   * message id. The stream lock serializes a conversation's writers, so a retry that races its
   * original sees it once the original commits.
   */
  async appendMessage(item: SendItem): Promise<AppendResult> {
    try {
      const [outcome] = await this.appendBatch([item]);
      if (!outcome!.ok) throw outcome!.error;
      return outcome!.value;
    } catch (err) {
      // The same client id raced into another conversation's stream: the other one won.
      if ((err as { code?: string }).code !== uniqueViolation) throw err;
      const [original] = await this.findSent(this.db, [item.request]);
      if (!original) throw err;
      if (original.conversation_id !== item.request.conversationId) throw usedElsewhere();
      return { message: original, duplicate: true };
    }
  }

  /**
   * Stores many sends at once (group commit). When this process knows the tip of every
   * conversation in the batch, one statement stores it, with no lock taken first. If a tip was
   * stale (another replica wrote) or a send retries a stored message, that statement fails whole
   * and the batch goes the careful way: streams locked in id order (concurrent batches cannot
   * deadlock), originals and last seqs read, then the same write, in one transaction.
   */
  async appendBatch(items: SendItem[]): Promise<Outcome<AppendResult>[]> {
    const tips = this.knownTips(items);
    if (tips) {
      let path: BatchPath = 'retried';
      try {
        const decided = decideSendBatch(items, tips);
        if (await this.writeSends(this.db, decided, { unlessRetried: true })) {
          this.tookPath('fast');
          return this.settled(decided);
        }
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (!isStreamVersionConflict(err) && !optimisticFailures.has(code)) throw err;
        if (code !== uniqueViolation) path = 'stale_tip';
      }
      this.tookPath(path);
      this.tips.forget(tips.keys());
    } else {
      this.tookPath('unknown_tip');
    }
    const decided = await withTransaction(this.db, async (tx) => {
      const conversationIds = [...new Set(items.map((i) => i.request.conversationId))].sort();
      const versions = await lockStreams(tx, conversationIds);
      const { originals, lastSeqs } = await this.batchState(tx, items.map((i) => i.request), conversationIds);
      const locked = new Map(conversationIds.map((id) => [id, { version: versions.get(id)!, lastSeq: lastSeqs.get(id) ?? 0 }]));
      const batch = decideSendBatch(items, locked, originals);
      await this.writeSends(tx, batch);
      return batch;
    });
    return this.settled(decided);
  }

  /** The batch's tips, if this process knows every one of them. */
  private knownTips(items: SendItem[]): Map<string, StreamTip> | undefined {
    const tips = new Map<string, StreamTip>();
    for (const { request } of items) {
      const tip = this.tips.get(request.conversationId);
      if (!tip) return undefined;
      tips.set(request.conversationId, tip);
    }
    return tips;
  }

  /**
   * Events, stream versions and history rows of a batch, in one statement. With `unlessRetried`,
   * a send whose (sender, client id) is already stored makes it write nothing and answer false,
   * instead of a unique violation (an ERROR line in the Postgres log for every ordinary retry);
   * a retry racing its original still meets the unique index, so idempotency stays exact.
   */
  private async writeSends(db: Queryable, { appends }: DecidedSends, { unlessRetried = false } = {}): Promise<boolean> {
    const append = streamAppendCtes(appends, 1, unlessRetried ? '(SELECT yes FROM retried)' : undefined);
    if (append.stored.length === 0) return true;
    const messages = (append.stored as StoredMessageEvent[]).flatMap((e) => (e.type === 'message.sent' ? [e.data.message] : []));
    const rows = sentHistoryRows(messages, append.values.length + 1);
    // sent_before (migration 003) probes the unique index whatever the generic plan's statistics were.
    const retried = `retried AS (SELECT sent_before(${rows.column('sender_id')}::uuid[], ${rows.column('client_message_id')}::text[]) AS yes), `;
    // Named (prepared once per connection): the text is the same for every batch, arrays carry the rows.
    const { rowCount } = await db.query({
      name: unlessRetried ? 'messages.append-sends-unless-retried' : 'messages.append-sends',
      text: `WITH ${unlessRetried ? retried : ''}${append.sql} INSERT INTO history (${historyColumns}) SELECT h.* FROM ${rows.sql}, checked WHERE checked.ok`,
      values: [...append.values, ...rows.values],
    });
    return rowCount === messages.length;
  }

  /** After a batch committed: its tips become known. */
  private settled({ outcomes, tips }: DecidedSends): Outcome<AppendResult>[] {
    for (const [id, tip] of tips) this.tips.set(id, tip);
    return outcomes;
  }

  /** A message by its server id, or by the client message id `actorId` gave it. */
  async locate(reference: string, actorId: string): Promise<Message | undefined> {
    if (Id.safeParse(reference).success) {
      const byId = await this.findById(this.db, reference);
      if (byId) return byId;
    }
    const [own] = await this.findSent(this.db, [{ actorId, clientMessageId: reference }]);
    return own;
  }

  /** Edits, deletes or reacts to a message of `conversationId`; replies with the message as it now is. */
  async changeMessage(
    conversationId: string,
    command: EditMessage | DeleteMessage | ReactToMessage,
    metadata: EventMetadata,
  ): Promise<{ message: Message; events: StoredMessageEvent[] }> {
    const changed = await withTransaction(this.db, async (tx) => {
      const version = await lockStream(tx, conversationId);
      const current = await this.findById(tx, command.messageId);
      const state = stateOf({ messages: current?.conversation_id === conversationId ? [current] : [] });
      const events = decide(command, state);
      const stored = await this.append(tx, conversationId, version, events.map((e) => ({ ...e, metadata })));
      return { message: events.reduce(evolve, state).messages[command.messageId]!, events: stored, version };
    });
    this.tips.moved(conversationId, changed.version, changed.version + changed.events.length);
    return { message: changed.message, events: changed.events };
  }

  /** Moves the reader's cursor forward; replies with the cursor after the call. */
  async markRead(conversationId: string, command: MarkRead, metadata: EventMetadata): Promise<{ seq: number; moved: boolean }> {
    const read = await withTransaction(this.db, async (tx) => {
      const version = await lockStream(tx, conversationId);
      const lastSeq = (await this.lastSeqs(tx, [conversationId])).get(conversationId) ?? 0;
      const { rows } = await tx.query<{ seq: string }>('SELECT seq FROM read_cursors WHERE conversation_id = $1 AND user_id = $2', [
        conversationId,
        command.actorId,
      ]);
      const state = stateOf({ lastSeq, readCursors: rows[0] ? { [command.actorId]: Number(rows[0].seq) } : {} });
      const events = decide(command, state);
      await this.append(tx, conversationId, version, events.map((e) => ({ ...e, metadata })));
      return { seq: events.reduce(evolve, state).readCursors[command.actorId] ?? 0, moved: events.length > 0, version };
    });
    this.tips.moved(conversationId, read.version, read.version + (read.moved ? 1 : 0));
    return { seq: read.seq, moved: read.moved };
  }

  /** A page of history, ascending by seq, of at most `limit` messages and about `maxBytes` (see historyPage). */
  async page(
    conversationId: string,
    { limit, before_seq, after_seq, maxBytes }: { limit: number; before_seq?: number; after_seq?: number; maxBytes: number },
  ): Promise<{ messages: Message[]; has_more: boolean }> {
    const newer = after_seq !== undefined;
    const { rows } = await this.db.query<HistoryRow>(
      newer
        ? `SELECT * FROM history WHERE conversation_id = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3`
        : `SELECT * FROM history WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
      [conversationId, newer ? after_seq : (before_seq ?? Number.MAX_SAFE_INTEGER), limit + 1],
    );
    const page = historyPage(rows.map(toMessage), limit, maxBytes);
    return { messages: newer ? page.messages : page.messages.reverse(), has_more: page.has_more };
  }

  private async append(tx: PoolClient, conversationId: string, version: number, events: MessageStreamEvent[]) {
    const stored = (await appendToStream(tx, conversationId, version, events)) as StoredMessageEvent[];
    await projectToHistory(tx, stored);
    return stored;
  }

  private async findById(db: Queryable, id: string): Promise<Message | undefined> {
    const { rows } = await db.query<HistoryRow>('SELECT * FROM history WHERE id = $1', [id]);
    return rows[0] && toMessage(rows[0]);
  }

  private async findSent(db: Queryable, requests: Pick<SendRequest, 'actorId' | 'clientMessageId'>[]): Promise<Message[]> {
    const { rows } = await db.query<HistoryRow>(`SELECT ${historyColumns} ${sentByClientIds}`, [
      requests.map((r) => r.actorId),
      requests.map((r) => r.clientMessageId),
    ]);
    return distinctMessages(rows);
  }

  /**
   * What a batch's decisions need, in one round trip: the stored originals of any retried sends,
   * then one row per conversation carrying only its last seq (`id` null). Each max is one step down
   * the (conversation_id, seq) index.
   */
  private async batchState(
    tx: Queryable,
    requests: Pick<SendRequest, 'actorId' | 'clientMessageId'>[],
    conversationIds: string[],
  ): Promise<{ originals: Message[]; lastSeqs: Map<string, number> }> {
    // Not a named (prepared) statement: a plan cached while the table was small would scan it whole.
    const { rows } = await tx.query<HistoryRow>({
      text: `SELECT ${historyColumns} ${sentByClientIds}
             UNION ALL
             SELECT NULL, c.id, coalesce((SELECT max(seq) FROM history WHERE conversation_id = c.id), 0),
               NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
             FROM unnest($3::uuid[]) AS c(id)`,
      values: [requests.map((r) => r.actorId), requests.map((r) => r.clientMessageId), conversationIds],
    });
    const lastSeqs = new Map(rows.filter((r) => r.id === null).map((r) => [r.conversation_id, Number(r.seq)]));
    return { originals: distinctMessages(rows.filter((r) => r.id !== null)), lastSeqs };
  }

  /** Per conversation, so each max is one step down the (conversation_id, seq) index. */
  private async lastSeqs(tx: Queryable, conversationIds: string[]): Promise<Map<string, number>> {
    const { rows } = await tx.query<{ id: string; last: string | null }>(
      `SELECT c.id, (SELECT max(seq) FROM history WHERE conversation_id = c.id) AS last FROM unnest($1::uuid[]) AS c(id)`,
      [conversationIds],
    );
    return new Map(rows.map((r) => [r.id, Number(r.last ?? 0)]));
  }
}
