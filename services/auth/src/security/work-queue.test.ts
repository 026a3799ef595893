import { DomainError } from '@pneumatic/contracts';
import { WorkQueue } from './work-queue';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
};

describe('work queue', () => {
  it('runs at most `concurrency` jobs, queues `maxWaiting`, and refuses the rest at once with overloaded', async () => {
    const queue = new WorkQueue(2, 1);
    const g = gate();
    const started: number[] = [];
    const jobs = [1, 2, 3].map((n) => queue.run(async () => (started.push(n), await g.opened, n)));
    await Promise.resolve();
    expect(started).toEqual([1, 2]);
    expect(queue.busy).toEqual({ running: 2, waiting: 1 });
    await expect(queue.run(async () => 4)).rejects.toEqual(new DomainError('overloaded', 'the server is busy; retry shortly'));
    g.open();
    expect(await Promise.all(jobs)).toEqual([1, 2, 3]);
    expect(queue.busy).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the slot of a job that failed', async () => {
    const queue = new WorkQueue(1, 0);
    await expect(queue.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await queue.run(async () => 'next')).toBe('next');
  });
});
