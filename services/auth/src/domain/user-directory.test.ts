import { randomUUID } from 'node:crypto';
import { limits } from '@pneumatic/contracts';
import { decodeCursor, encodeCursor, pageOf, pageSizeViolation, prefixPattern } from './user-directory';

describe('user directory', () => {
  it('round-trips a cursor', () => {
    const cursor = encodeCursor('al.ice_1');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toBe('al.ice_1');
  });

  it('refuses cursors it did not issue', () => {
    expect(decodeCursor('not a cursor!')).toBeNull();
    expect(decodeCursor(encodeCursor('Alice'))).toBeNull();
    expect(decodeCursor(encodeCursor("x' OR 1=1"))).toBeNull();
    expect(decodeCursor(encodeCursor('a'.repeat(40)))).toBeNull();
  });

  it('matches a prefix case-insensitively and escapes LIKE wildcards', () => {
    expect(prefixPattern('Al')).toBe('al%');
    expect(prefixPattern('a_b%')).toBe('a\\_b\\%%');
    expect(prefixPattern('')).toBe('%');
  });

  it('bounds the page size', () => {
    expect(pageSizeViolation(0)).toBe('limit: must be between 1 and 1000');
    expect(pageSizeViolation(1001)).not.toBeNull();
    expect(pageSizeViolation(1000)).toBeNull();
  });

  it('fits a full page of the largest possible users in one NATS message', () => {
    // Every UTF-16 unit of a full name is at most 6 bytes as JSON (a control character is \u0001).
    const user = {
      id: randomUUID(),
      username: 'x'.repeat(limits.usernameMaxChars),
      full_name: '\u0001'.repeat(limits.fullNameMaxChars),
      online: false,
    };
    const page = { users: Array.from({ length: limits.usersMaxLimit }, () => user), next_cursor: encodeCursor('x'.repeat(limits.usernameMaxChars)) };
    const bytes = Buffer.byteLength(JSON.stringify({ ok: true, data: page }));
    expect(bytes).toBeLessThan(1024 * 1024 - 64 * 1024); // room for the envelope's headers
  });

  it('gives a cursor only when more rows follow', () => {
    const rows = [{ username: 'Ann' }, { username: 'bob' }, { username: 'Cy' }];
    expect(pageOf(rows, 2)).toEqual({ items: rows.slice(0, 2), nextCursor: encodeCursor('bob') });
    expect(pageOf(rows, 3)).toEqual({ items: rows, nextCursor: null });
  });
});
