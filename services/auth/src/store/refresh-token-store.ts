import { withTransaction, type Database, type PoolClient } from '@pneumatic/platform';
import { judgeRefresh } from '../domain/refresh-rotation';
import type { IssuedRefresh } from '../security/token-issuer';

/** A login session (refresh-token family) that just ended. */
export interface EndedSession {
  sessionId: string;
  userId: string;
  reason: 'logout' | 'refresh_token_reuse';
  endedAt: Date;
}

export type Rotation<T> =
  | { verdict: 'rotate'; issued: T }
  | { verdict: 'reuse_detected'; ended: EndedSession | null }
  | { verdict: 'revoked' | 'unknown' };

interface EndedRow {
  session_id: string;
  user_id: string;
  reason: EndedSession['reason'];
  ended_at: Date;
}
const endedSession = (row: EndedRow): EndedSession => ({ sessionId: row.session_id, userId: row.user_id, reason: row.reason, endedAt: row.ended_at });

interface TokenRow {
  family_id: string;
  user_id: string;
  username: string;
  used_at: Date | null;
  revoked_at: Date | null;
}

/** The refresh tokens issued, so each can be spent once and a family revoked together. */
export class RefreshTokenStore {
  constructor(private readonly db: Database) {}

  async record(token: IssuedRefresh): Promise<void> {
    await this.db.query('INSERT INTO refresh_tokens (jti, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)', [
      token.jti,
      token.familyId,
      token.userId,
      token.expiresAt,
    ]);
  }

  /**
   * Spends token `jti` of `userId` and records its successor from `issue`, in one transaction.
   * The family lock makes concurrent uses of one token, and a logout, queue up, so exactly one
   * of them rotates, the others are seen as reuse, and no successor slips past a revocation.
   * A reuse revokes the family, ends its session and commits both.
   */
  async rotate<T>(
    jti: string,
    userId: string,
    issue: (owner: { id: string; username: string }, familyId: string) => { result: T; next: IssuedRefresh },
  ): Promise<Rotation<T>> {
    return withTransaction(this.db, async (client) => {
      const family = await client.query<{ family_id: string }>('SELECT family_id FROM refresh_tokens WHERE jti = $1 AND user_id = $2', [jti, userId]);
      if (!family.rows[0]) return { verdict: 'unknown' };
      await lockFamily(client, family.rows[0].family_id);
      const { rows } = await client.query<TokenRow>(
        `SELECT t.family_id, t.user_id, u.username, t.used_at, t.revoked_at
         FROM refresh_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.jti = $1 AND t.user_id = $2 FOR UPDATE OF t`,
        [jti, userId],
      );
      const row = rows[0];
      if (!row) return { verdict: 'unknown' };
      const verdict = judgeRefresh({ usedAt: row.used_at, revokedAt: row.revoked_at });
      if (verdict === 'revoked') return { verdict };
      if (verdict === 'reuse_detected') {
        await client.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [row.family_id]);
        return { verdict, ended: await endSession(client, row.family_id, row.user_id, 'refresh_token_reuse') };
      }
      const { result, next } = issue({ id: row.user_id, username: row.username }, row.family_id);
      await client.query('UPDATE refresh_tokens SET used_at = now() WHERE jti = $1', [jti]);
      await client.query('INSERT INTO refresh_tokens (jti, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)', [
        next.jti,
        next.familyId,
        next.userId,
        next.expiresAt,
      ]);
      return { verdict: 'rotate', issued: result };
    });
  }

  /**
   * Revokes the family and ends its session, only if it is `userId`'s, so one user cannot end
   * another's sessions. Null when there was nothing left to end.
   */
  async revokeFamily(familyId: string, userId: string): Promise<EndedSession | null> {
    return withTransaction(this.db, async (client) => {
      await lockFamily(client, familyId);
      const { rowCount } = await client.query(
        'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND user_id = $2 AND revoked_at IS NULL',
        [familyId, userId],
      );
      return rowCount ? endSession(client, familyId, userId, 'logout') : null;
    });
  }

  /**
   * Sessions ended after (`since`, `afterId`) and less than `windowSeconds` ago, oldest first, at
   * most `limit`; `asOf` is the database's clock when read, so the next page or poll starts there.
   */
  async endedSince(since: Date, afterId: string | undefined, limit: number, windowSeconds: number) {
    const { rows } = await this.db.query<EndedRow & { as_of: Date }>(
      `SELECT session_id, user_id, reason, ended_at, now() AS as_of FROM ended_sessions
       WHERE ended_at > now() - make_interval(secs => $4) AND (ended_at, session_id) > ($1, $2)
       ORDER BY ended_at, session_id LIMIT $3`,
      [since, afterId ?? '00000000-0000-0000-0000-000000000000', limit + 1, windowSeconds],
    );
    const asOf = rows[0]?.as_of ?? (await this.db.query<{ now: Date }>('SELECT now()')).rows[0]!.now;
    return { sessions: rows.slice(0, limit).map(endedSession), hasMore: rows.length > limit, asOf };
  }
}

/** Serialises rotation and revocation within one family (a hash collision only serialises more). */
const lockFamily = (client: PoolClient, familyId: string) => client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [familyId]);

async function endSession(client: PoolClient, sessionId: string, userId: string, reason: EndedSession['reason']): Promise<EndedSession | null> {
  const { rows } = await client.query<EndedRow>(
    `INSERT INTO ended_sessions (session_id, user_id, reason) VALUES ($1, $2, $3)
     ON CONFLICT (session_id) DO NOTHING RETURNING session_id, user_id, reason, ended_at`,
    [sessionId, userId, reason],
  );
  return rows[0] ? endedSession(rows[0]) : null;
}
