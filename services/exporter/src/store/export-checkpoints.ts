import type { Database, PoolClient } from '@pneumatic/platform';

/** The last stream sequence of `source` that Kafka acknowledged (0: nothing yet). */
export async function readCheckpoint(client: PoolClient, source: string): Promise<number> {
  await client.query('INSERT INTO kafka_export_checkpoints (source) VALUES ($1) ON CONFLICT DO NOTHING', [source]);
  const { rows } = await client.query<{ stream_sequence: string }>('SELECT stream_sequence FROM kafka_export_checkpoints WHERE source = $1', [source]);
  return Number(rows[0]!.stream_sequence);
}

/**
 * Moves the checkpoint from `expected` to `next`; false when it was not at `expected`, i.e. a
 * replay set it back meanwhile (the exporter then starts over from the replay's position).
 */
export async function advanceCheckpoint(client: PoolClient, source: string, expected: number, next: number): Promise<boolean> {
  const { rowCount } = await client.query(
    'UPDATE kafka_export_checkpoints SET stream_sequence = $3, updated_at = now() WHERE source = $1 AND stream_sequence = $2',
    [source, expected, next],
  );
  return rowCount === 1;
}

/**
 * Sets sources back so that export resumes at stream sequence `from`; never forward, so a replay
 * cannot skip events. Returns each source's checkpoint before and after.
 */
export async function replayFrom(db: Database, sources: string[], from: number): Promise<{ source: string; before: number; after: number }[]> {
  await db.query('INSERT INTO kafka_export_checkpoints (source) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [sources]);
  const { rows } = await db.query<{ source: string; before: string; after: string }>(
    `UPDATE kafka_export_checkpoints c SET stream_sequence = LEAST(b.before, $2::bigint), updated_at = now()
     FROM (SELECT source, stream_sequence AS before FROM kafka_export_checkpoints WHERE source = ANY($1::text[])) b
     WHERE c.source = b.source RETURNING c.source, b.before::text, c.stream_sequence::text AS after`,
    [sources, Math.max(0, from - 1)],
  );
  return rows.map((r) => ({ source: r.source, before: Number(r.before), after: Number(r.after) })).sort((a, b) => a.source.localeCompare(b.source));
}
