/** Runs `work` over every item with `concurrency` in flight, each worker taking the next item when done (the bench's closed loop). */
export async function closedLoop<T>(items: T[], concurrency: number, work: (item: T, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (w: number) => {
    while (next < items.length) await work(items[next++]!, w);
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
}
