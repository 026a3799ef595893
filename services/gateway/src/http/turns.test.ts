import { Turns } from './turns';

const never = new Promise<void>(() => undefined);

describe('turns per key', () => {
  it('runs `concurrent` at once per key, queues `maxWaiting` first come first served and refuses the rest', async () => {
    const turns = new Turns(1, 1);
    const first = await turns.take('a', never);
    const order: string[] = [];
    const second = turns.take('a', never).then((release) => (order.push('second'), release));
    expect(await turns.take('a', never)).toBeNull();
    const other = await turns.take('b', never);
    expect(other).not.toBeNull();
    first!();
    first!();
    const secondRelease = await second;
    expect(order).toEqual(['second']);
    // The double release of `first` gave nothing extra: `a` is busy with `second`, one may wait.
    const third = turns.take('a', never);
    expect(await turns.take('a', never)).toBeNull();
    secondRelease!();
    (await third)!();
    other!();
    expect(turns.keys).toBe(0);
  });

  it('lets an abandoned waiter leave the line without taking a turn', async () => {
    const turns = new Turns(1, 1);
    const first = await turns.take('a', never);
    let abandon!: () => void;
    const waiter = turns.take('a', new Promise<void>((resolve) => (abandon = resolve)));
    abandon();
    expect(await waiter).toBeNull();
    first!();
    expect(turns.keys).toBe(0);
  });
});
