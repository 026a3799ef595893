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
    expect(pageSizeViolation(0)).toBe('limit: must be between 1 and 200');
    expect(pageSizeViolation(201)).not.toBeNull();
    expect(pageSizeViolation(50)).toBeNull();
  });

  it('gives a cursor only when more rows follow', () => {
    const rows = [{ username: 'Ann' }, { username: 'bob' }, { username: 'Cy' }];
    expect(pageOf(rows, 2)).toEqual({ items: rows.slice(0, 2), nextCursor: encodeCursor('bob') });
    expect(pageOf(rows, 3)).toEqual({ items: rows, nextCursor: null });
  });
});
