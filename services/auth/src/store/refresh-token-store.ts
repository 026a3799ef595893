import { withTransaction, type Database } from '@pneumatic/platform';
import { judgeRefresh, type RotationVerdict } from '../domain/refresh-rotation';
import type { IssuedRefresh } from '../security/token-issuer';

export type Rotation<T> = { verdict: 'rotate'; issued: T } | { verdict: Exclude<RotationVerdict, 'rotate'> | 'unknown' };

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
   * The row lock makes concurrent uses of one token queue up, so exactly one of them rotates
   * and the others are seen as reuse. A reuse revokes the family and commits that revocation.
   */
  async rotate<T>(
    jti: string,
    userId: string,
    issue: (owner: { id: string; username: string }, familyId: string) => { result: T; next: IssuedRefresh },
  ): Promise<Rotation<T>> {
    return withTransaction(this.db, async (client) => {
      const { rows } = await client.query<TokenRow>(
        `SELECT t.family_id, t.user_id, u.username, t.used_at, t.revoked_at
         FROM refresh_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.jti = $1 AND t.user_id = $2 FOR UPDATE OF t`,
        [jti, userId],
      );
      const row = rows[0];
      if (!row) return { verdict: 'unknown' };
      const verdict = judgeRefresh({ usedAt: row.used_at, revokedAt: row.revoked_at });
      if (verdict !== 'rotate') {
        await client.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [row.family_id]);
        return { verdict };
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

  /** Revokes the family only if it is `userId`'s, so one user cannot end another's sessions. */
  async revokeFamily(familyId: string, userId: string): Promise<number> {
    const { rowCount } = await this.db.query(
      'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND user_id = $2 AND revoked_at IS NULL',
      [familyId, userId],
    );
    return rowCount ?? 0;
  }
}
