import fc from 'fast-check';
import { homeOf, leasePlan, shareOf } from './partition-shares';

/** Checks by every replica in `order`, each seeing the holders as the previous ones left them; a take succeeds only on a free partition, as pg_try_advisory_lock does. */
function round(partitions: number, replicas: number[], holders: Map<number, number>, order: number[]): boolean {
  let changed = false;
  for (const self of order) {
    const plan = leasePlan({ partitions, replicas, self, holders });
    for (const p of plan.release) changed = holders.delete(p) || changed;
    for (const p of plan.take) {
      if (holders.has(p)) continue;
      holders.set(p, self);
      changed = true;
    }
  }
  return changed;
}

const heldBy = (holders: Map<number, number>, replica: number) => [...holders.values()].filter((h) => h === replica).length;

describe('partition shares', () => {
  it('splits the partitions evenly, the remainder to the first ranks, adding up to all of them', () => {
    expect([0, 1, 2].map((rank) => shareOf(rank, 3, 16))).toEqual([6, 5, 5]);
    expect(shareOf(0, 1, 16)).toBe(16);
    expect([0, 1, 2, 3, 4].map((rank) => shareOf(rank, 5, 3))).toEqual([1, 1, 1, 0, 0]);
  });

  it('gives each rank a block of consecutive partitions, the blocks tiling all of them', () => {
    expect([...homeOf(0, 2, 16)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...homeOf(1, 3, 16)]).toEqual([6, 7, 8, 9, 10]);
    expect([...homeOf(2, 3, 16)]).toEqual([11, 12, 13, 14, 15]);
  });

  it('has a lone replica take every partition', () => {
    expect(leasePlan({ partitions: 4, replicas: [7], self: 7, holders: new Map() })).toEqual({ take: [0, 1, 2, 3], release: [] });
  });

  it('has a replica over its share give up partitions outside its block first', () => {
    const holders = new Map([0, 1, 2, 3].map((p) => [p, 2]));
    // Ranked by id: replica 2 is rank 1 of two, its block 2..3.
    expect(leasePlan({ partitions: 4, replicas: [2, 1], self: 2, holders })).toEqual({ take: [], release: [0, 1] });
  });

  it('has a replica missing from the list of replicas hold nothing', () => {
    expect(leasePlan({ partitions: 2, replicas: [5], self: 9, holders: new Map([[0, 9]]) })).toEqual({ take: [], release: [0] });
  });

  it('settles, from any holdings and in any order of checks, on every partition held and each replica at its share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 64 }),
        fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 4, maxLength: 4 }),
        (partitions, replicas, initial, rotations) => {
          // Holdings left by earlier checks: any partition may be held by any replica (index past the list: free).
          const holders = new Map<number, number>();
          initial.slice(0, partitions).forEach((r, p) => r < replicas.length && holders.set(p, replicas[r]!));
          let rounds = 0;
          for (let changed = true; changed; rounds++) {
            const k = rotations[rounds % rotations.length]! % replicas.length;
            changed = round(partitions, replicas, holders, [...replicas.slice(k), ...replicas.slice(0, k)]);
            if (rounds > 4) throw new Error(`not settled after ${rounds} rounds`);
          }
          expect(holders.size).toBe(partitions);
          const ranked = [...replicas].sort((a, b) => a - b);
          ranked.forEach((r, rank) => expect(heldBy(holders, r)).toBe(shareOf(rank, ranked.length, partitions)));
        },
      ),
    );
  });

  it('moves a leaving replica\'s partitions to the others, and some back when a replica joins', () => {
    const holders = new Map<number, number>();
    round(16, [1, 2], holders, [1, 2]);
    round(16, [1, 2], holders, [1, 2]);
    expect([heldBy(holders, 1), heldBy(holders, 2)]).toEqual([8, 8]);
    // Replica 2 dies: its session ends and its leases with it.
    for (const [p, h] of holders) if (h === 2) holders.delete(p);
    round(16, [1], holders, [1]);
    expect(heldBy(holders, 1)).toBe(16);
    // It comes back under a new session id.
    round(16, [1, 3], holders, [1, 3]);
    round(16, [1, 3], holders, [1, 3]);
    expect([heldBy(holders, 1), heldBy(holders, 3)]).toEqual([8, 8]);
  });
});
