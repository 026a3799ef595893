/** Whether an asynchronous projection has caught up with what history stores. */
import { waitFor } from '@pneumatic/testkit';
import type { ChatLoad } from './chat-load';
import type { StackUnderTest } from './stack-under-test';

/** The summaries projection must show every stored message within this long after a fault's check (docs/testing.md, Faults and hostile input). */
export const projectionBoundMs = 30_000;

/** How long until every conversation's summary (GET /conversations/:id) shows its last stored seq. */
export async function projectionCatchUp(stack: StackUnderTest, load: ChatLoad, stored: Map<string, number>, boundMs: number): Promise<number> {
  const started = Date.now();
  await waitFor(
    'conversation summaries to show every stored message',
    async () => {
      for (const c of load.conversations) {
        const res = await fetch(`${stack.httpUrl(1)}/conversations/${c.id}`, { headers: { Authorization: `Bearer ${c.members[0]!.token}` } });
        if (res.status !== 200) return false;
        const { last_seq } = (await res.json()) as { last_seq: number };
        if (last_seq !== stored.get(c.id)) return false;
      }
      return true;
    },
    boundMs,
    250,
  );
  return Date.now() - started;
}
