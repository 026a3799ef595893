import { EndedSessions } from './ended-sessions';

const a = '6f1c2f5e-8a43-4c57-9d0e-3b3f1d2a9c11';
const b = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

describe('ended sessions', () => {
  it('reports an ending as new once, then knows it', () => {
    const ended = new EndedSessions();
    expect(ended.add(a, 2_000, 1_000)).toBe(true);
    expect(ended.add(a, 2_000, 1_000)).toBe(false);
    expect(ended.has(a)).toBe(true);
    expect(ended.has(b)).toBe(false);
  });

  it('ignores an ending whose tokens have already expired', () => {
    const ended = new EndedSessions();
    expect(ended.add(a, 1_000, 1_000)).toBe(false);
    expect(ended.has(a)).toBe(false);
  });

  it('forgets endings once their tokens have expired', () => {
    const ended = new EndedSessions();
    ended.add(a, 2_000, 1_000);
    ended.add(b, 5_000, 1_000);
    ended.prune(2_000);
    expect(ended.has(a)).toBe(false);
    expect(ended.has(b)).toBe(true);
    expect(ended.size).toBe(1);
  });
});
