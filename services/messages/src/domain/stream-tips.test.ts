import { StreamTips } from './stream-tips';

describe('StreamTips', () => {
  it('remembers the newest tip and never goes back to an older one', () => {
    const tips = new StreamTips();
    tips.set('c', { version: 4, lastSeq: 3 });
    tips.set('c', { version: 2, lastSeq: 1 });
    expect(tips.get('c')).toEqual({ version: 4, lastSeq: 3 });
    tips.set('c', { version: 6, lastSeq: 5 });
    expect(tips.get('c')).toEqual({ version: 6, lastSeq: 5 });
  });

  it('follows a non-send write only from the version it knew, and forgets otherwise', () => {
    const tips = new StreamTips();
    tips.set('current', { version: 4, lastSeq: 3 });
    tips.set('stale', { version: 4, lastSeq: 3 });
    tips.moved('current', 4, 5);
    tips.moved('stale', 7, 8);
    tips.moved('unknown', 1, 2);
    expect(tips.get('current')).toEqual({ version: 5, lastSeq: 3 });
    expect(tips.get('stale')).toBeUndefined();
    expect(tips.get('unknown')).toBeUndefined();
  });

  it('forgets the least recently set tip past its bound', () => {
    const tips = new StreamTips(2);
    tips.set('a', { version: 1, lastSeq: 1 });
    tips.set('b', { version: 1, lastSeq: 1 });
    tips.set('a', { version: 2, lastSeq: 2 });
    tips.set('c', { version: 1, lastSeq: 1 });
    expect(tips.get('b')).toBeUndefined();
    expect(tips.get('a')).toEqual({ version: 2, lastSeq: 2 });
    tips.forget(['a']);
    expect(tips.get('a')).toBeUndefined();
    expect(tips.get('c')).toBeDefined();
  });
});
