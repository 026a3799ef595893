import { decodeListCursor, encodeListCursor, withinBytes } from './conversation-page';

const position = { activityMicros: '1767268800123456', id: '0f000000-0000-4000-8000-00000000000f' };

describe('conversation list cursor', () => {
  it('decodes what it encoded, and is opaque', () => {
    const cursor = encodeListCursor(position);
    expect(cursor).not.toContain(position.id);
    expect(decodeListCursor(cursor)).toEqual(position);
  });

  it('refuses anything it did not issue', () => {
    const forged = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
    for (const cursor of ['', '!!', forged('12:not-a-uuid'), forged(`x:${position.id}`), forged(`1${'0'.repeat(19)}:${position.id}`), `${encodeListCursor(position)}=`]) {
      expect(decodeListCursor(cursor)).toBeNull();
    }
  });
});

describe('byte budget of a page', () => {
  const sized = (sizes: number[]) => withinBytes(sizes, 100, (n) => n);

  it('keeps items while they fit', () => {
    expect(sized([40, 40, 20, 1])).toEqual([40, 40, 20]);
    expect(sized([10, 20])).toEqual([10, 20]);
  });

  it('always keeps the first, so paging moves forward', () => {
    expect(sized([500, 1])).toEqual([500]);
    expect(sized([])).toEqual([]);
  });

  it('measures serialized UTF-8 by default', () => {
    expect(withinBytes(['é'.repeat(10), 'x'], 24)).toEqual(['é'.repeat(10)]);
    expect(withinBytes(['é'.repeat(10), 'x'], 25)).toEqual(['é'.repeat(10), 'x']);
  });
});
