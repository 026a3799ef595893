/**
 * Refresh tokens are single-use. A token presented a second time means two parties hold it (the
 * client and a thief, or a client racing itself); the server cannot tell which is legitimate, so
 * the whole family, including the token issued on first use, is revoked.
 */
export type RotationVerdict = 'rotate' | 'reuse_detected' | 'revoked';

export function judgeRefresh(record: { usedAt: Date | null; revokedAt: Date | null }): RotationVerdict {
  if (record.usedAt) return 'reuse_detected';
  if (record.revokedAt) return 'revoked';
  return 'rotate';
}

export const refusalDetail: Record<Exclude<RotationVerdict, 'rotate'>, string> = {
  reuse_detected: 'refresh token reuse detected',
  revoked: 'refresh token revoked',
};
