/**
 * Appended messages per second of one real messages-service process, with and without group
 * commit. The process is driven over NATS by N concurrent senders (each sends, awaits the reply,
 * sends again) for a few seconds; a stand-in answers its membership questions so only the
 * messages service is measured. Each mode gets a fresh database.
 *
 *   npx tsc -b && node scripts/dist/measure-append.js [--senders 64] [--seconds 5] [--conversations 16] [--modes off,on]
 */
import { DomainError, contracts } from '@pneumatic/contracts';
import { createTestContext, spawnService } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    senders: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '5' },
    conversations: { type: 'string', default: '16' },
    modes: { type: 'string', default: 'off,on' },
  },
});
const senders = Number(values.senders);
const seconds = Number(values.seconds);
const conversationCount = Number(values.conversations);

async function measure(mode: string): Promise<void> {
  const ctx = await createTestContext('measure_append');
  const service = await spawnService('messages', { ...ctx.env, MESSAGES_GROUP_COMMIT: mode, LOG_LEVEL: 'warn' });
  try {
    const bus = await ctx.connectBus();
    bus.serve(contracts.conversationsMembership, async () => ({ exists: true, member: true }), { queue: 'conversations' });
    await bus.flush();
    const conversations = Array.from({ length: conversationCount }, () => randomUUID());
    const sender = randomUUID();
    let counting = false;
    let stopped = false;
    const counts = { stored: 0, overloaded: 0 };
    const sendLoop = async (i: number) => {
      while (!stopped) {
        try {
          await bus.call(contracts.messagesSend, {
            actor_id: sender,
            sender_username: 'bench',
            conversation_id: conversations[i % conversations.length]!,
            message_id: randomUUID(),
            content: 'measuring append throughput',
          });
          if (counting) counts.stored++;
        } catch (err) {
          if (!(err instanceof DomainError && err.code === 'overloaded')) throw err;
          if (counting) counts.overloaded++;
        }
      }
    };
    const loops = Array.from({ length: senders }, (_, i) => sendLoop(i));
    await new Promise((r) => setTimeout(r, 1000)); // warm-up: connections, JIT, caches
    counting = true;
    const started = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    counting = false;
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    stopped = true;
    await Promise.all(loops);
    console.log(
      `group commit ${mode.padEnd(3)}: ${Math.round(counts.stored / elapsed)} messages/s ` +
        `(${senders} senders, ${conversationCount} conversations, ${seconds} s, ${counts.overloaded} overloaded)`,
    );
  } finally {
    await service.stop();
    await ctx.cleanup();
  }
}

void (async () => {
  for (const mode of values.modes!.split(',')) await measure(mode);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
