import { FrameBudgets } from './frame-budgets';

describe('frame budgets', () => {
  it('gives each user one allowance, whichever socket spends it', () => {
    const budgets = new FrameBudgets(1, 2, 10_000);
    expect([budgets.take('alice', 0), budgets.take('alice', 0)]).toEqual(['allowed', 'allowed']);
    expect(budgets.take('alice', 0)).toBe('refused_reported');
    expect(budgets.take('bob', 0)).toBe('allowed');
    expect(budgets.take('alice', 1000)).toBe('allowed');
  });

  it('reports a flood once per interval, not once per refused frame', () => {
    const budgets = new FrameBudgets(1, 1, 10_000);
    budgets.take('alice', 0);
    expect([budgets.take('alice', 0), budgets.take('alice', 500), budgets.take('alice', 999)]).toEqual(['refused_reported', 'refused', 'refused']);
    expect(budgets.take('alice', 1000)).toBe('allowed');
    expect(budgets.take('alice', 9_999)).toBe('allowed');
    expect(budgets.take('alice', 9_999)).toBe('refused');
    expect(budgets.take('alice', 10_000)).toBe('refused_reported');
  });

  it('forgets a user, so the map holds only connected users', () => {
    const budgets = new FrameBudgets(1, 1, 10_000);
    budgets.take('alice', 0);
    budgets.take('bob', 0);
    budgets.forget('alice');
    expect(budgets.size).toBe(1);
    expect(budgets.take('alice', 0)).toBe('allowed');
  });
});
