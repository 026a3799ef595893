import { drainPace, type DrainPace } from './drain-pace';

/** When the last batch goes out, from the drain's start. */
const lastCloseMs = (sockets: number, { batch, intervalMs }: DrainPace) => (Math.ceil(sockets / batch) - 1) * intervalMs;

describe('drain pace', () => {
  it('closes at the configured pace when that finishes within the window', () => {
    const pace = drainPace(5000, { closesPerSecond: 500, windowMs: 20_000 });
    expect(pace).toEqual({ batch: 25, intervalMs: 50 });
    expect(lastCloseMs(5000, pace)).toBeCloseTo(9950);
  });

  it('goes faster than the configured pace rather than past the window', () => {
    const pace = drainPace(5000, { closesPerSecond: 500, windowMs: 5000 });
    expect(pace.batch / pace.intervalMs).toBeCloseTo(1);
    expect(lastCloseMs(5000, pace)).toBeLessThanOrEqual(5000);
  });

  it('closes one socket at a time, seconds apart, at a slow pace', () => {
    expect(drainPace(3, { closesPerSecond: 2, windowMs: 5000 })).toEqual({ batch: 1, intervalMs: 500 });
  });

  it('closes a few sockets at once', () => {
    const pace = drainPace(7, { closesPerSecond: 500, windowMs: 5000 });
    expect(pace.batch).toBeGreaterThanOrEqual(7);
  });
});
