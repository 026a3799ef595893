import { commonPasswords } from './common-passwords';

describe('common passwords', () => {
  it('holds the top of the list: the passwords the issue found accepted, and thousands more', () => {
    const top = commonPasswords(10_000);
    expect(top.size).toBeGreaterThanOrEqual(9_000);
    for (const p of ['password', '12345678', 'qwertyuiop', 'password123']) expect(top.has(p)).toBe(true);
    expect(top.has('correct-horse-battery')).toBe(false);
  });

  it('takes only the top N, and none for 0', () => {
    expect(commonPasswords(3_000).has('password')).toBe(true);
    expect(commonPasswords(0).size).toBe(0);
  });
});
