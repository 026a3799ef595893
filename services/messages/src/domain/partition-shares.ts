/**
 * How messages replicas divide the partitions among themselves (docs/scale-out.md, Messages replicas). Every
 * replica sees the same list of replicas (the holders of the membership lease, by session id) and
 * who holds each partition; from that, each works out its own share and which partitions to take
 * or give up. No I/O: the leases themselves are store/partition-leases.ts.
 */

/** What one replica sees at a check. */
export interface LeaseView {
  partitions: number;
  /** Ids of the replicas taking part, this one included. */
  replicas: number[];
  self: number;
  /** Partition → the replica holding it; a partition missing here is free. */
  holders: Map<number, number>;
}

export interface LeasePlan {
  take: number[];
  release: number[];
}

/** The partitions the replica of `rank` among `replicas` should hold: an even split, the remainder to the first ranks. */
export function shareOf(rank: number, replicas: number, partitions: number): number {
  return Math.floor(partitions / replicas) + (rank < partitions % replicas ? 1 : 0);
}

/**
 * The replica's own block of partitions: consecutive, the blocks of all ranks tiling 0..partitions-1.
 * A replica takes free partitions of its block first and gives up others first, so replicas that
 * start together rarely race for the same partition and settle on the same split each time.
 */
export function homeOf(rank: number, replicas: number, partitions: number): Set<number> {
  let start = 0;
  for (let r = 0; r < rank; r++) start += shareOf(r, replicas, partitions);
  return new Set(Array.from({ length: shareOf(rank, replicas, partitions) }, (_, i) => start + i));
}

/**
 * What to take and give up to reach this replica's share. Shares add up to the partition count,
 * so a replica short of its share with nothing free to take waits for one holding more than its
 * share to give some up; every check moves toward the split. A replica that sees no list of
 * replicas with itself in it (its membership lease not yet visible) takes nothing.
 */
export function leasePlan({ partitions, replicas, self, holders }: LeaseView): LeasePlan {
  const ranked = [...new Set(replicas)].sort((a, b) => a - b);
  const rank = ranked.indexOf(self);
  const held = [...holders].filter(([, holder]) => holder === self).map(([partition]) => partition);
  if (rank < 0) return { take: [], release: held };
  const share = shareOf(rank, ranked.length, partitions);
  const home = homeOf(rank, ranked.length, partitions);
  const homeFirst = (a: number, b: number) => Number(home.has(b)) - Number(home.has(a)) || a - b;
  if (held.length > share) {
    return { take: [], release: held.sort(homeFirst).slice(share) };
  }
  const free = Array.from({ length: partitions }, (_, p) => p).filter((p) => !holders.has(p));
  return { take: free.sort(homeFirst).slice(0, share - held.length), release: [] };
}
