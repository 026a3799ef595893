import { judgeRefresh } from './refresh-rotation';

describe('refresh rotation', () => {
  it('rotates a token seen for the first time', () => {
    expect(judgeRefresh({ usedAt: null, revokedAt: null })).toBe('rotate');
  });

  it('detects reuse of a spent token, even once its family is revoked', () => {
    expect(judgeRefresh({ usedAt: new Date(), revokedAt: null })).toBe('reuse_detected');
    expect(judgeRefresh({ usedAt: new Date(), revokedAt: new Date() })).toBe('reuse_detected');
  });

  it('refuses a revoked token that was never used', () => {
    expect(judgeRefresh({ usedAt: null, revokedAt: new Date() })).toBe('revoked');
  });
});
