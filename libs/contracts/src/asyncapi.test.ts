import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { RelayedConversationEvent, RelayedMessageEvent, asyncApiDocument, isDocumentedSubject } from './asyncapi';
import { UserRegisteredV1 } from './events';
import { partitionSubject } from './partitions';
import { contracts } from './rpc';
import { authSubjects, eventSubjects, presenceSubjects, rpcSubjects } from './subjects';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const fixturesDir = path.resolve(__dirname, '..', 'fixtures', 'events');
const document = asyncApiDocument();

/** Non-test TypeScript sources of every service and library. */
function sources(): { file: string; text: string }[] {
  const found: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) found.push({ file: full, text: readFileSync(full, 'utf8') });
    }
  };
  for (const group of ['services', 'libs']) {
    for (const pkg of readdirSync(path.join(repoRoot, group))) {
      const src = path.join(repoRoot, group, pkg, 'src');
      if (statSync(path.join(repoRoot, group, pkg)).isDirectory() && readdirSync(path.join(repoRoot, group, pkg)).includes('src')) walk(src);
    }
  }
  return found;
}

/** Every subject the code names, as the concrete subject it would use (ids filled with a sample). */
function subjectsUsed(text: string): string[] {
  const used: string[] = [];
  const tables: Record<string, Record<string, string>> = { rpcSubjects, presenceSubjects, eventSubjects, authSubjects };
  for (const [table, values] of Object.entries(tables)) {
    for (const [, key] of text.matchAll(new RegExp(`\\b${table}\\.(\\w+)`, 'g'))) used.push(values[key!] ?? `${table}.${key} (no such subject)`);
  }
  const id = '00000000-0000-4000-8000-000000000000';
  for (const [, fn, token] of text.matchAll(/\b(conversationSubject|userSubject)\([^,()]+(?:,\s*'([^']*)')?\)/g)) {
    const family = fn === 'conversationSubject' ? 'chat.conv' : 'chat.user';
    // No token: the subscription wildcard, documented when the family has any channel.
    used.push(token === undefined ? `${family}.${id}.${fn === 'conversationSubject' ? 'message' : 'conversation_created'}` : `${family}.${id}.${token}`);
  }
  for (const [, subject] of text.matchAll(/\.(?:publish|publishRaw|subscribe)\(\s*'([^']+)'/g)) used.push(subject!);
  return used;
}

describe('the AsyncAPI document', () => {
  it('describes every request/reply contract with request and reply payloads', () => {
    expect(document.asyncapi).toBe('3.0.0');
    for (const contract of Object.values(contracts)) expect(isDocumentedSubject(document, contract.subject)).toBe(true);
    const channels = document.channels as Record<string, { messages: Record<string, { payload: unknown }> }>;
    expect(channels.messagesSend!.messages.request!.payload).toMatchObject({ type: 'object' });
  });

  it('covers every subject the services and libraries use', () => {
    const undocumented: string[] = [];
    let checked = 0;
    for (const { file, text } of sources()) {
      for (const subject of subjectsUsed(text)) {
        checked++;
        if (!isDocumentedSubject(document, subject)) undocumented.push(`${path.relative(repoRoot, file)}: ${subject}`);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(undocumented).toEqual([]);
  });

  it('describes the partition subjects of partitioned contracts, and only theirs', () => {
    expect(isDocumentedSubject(document, partitionSubject(contracts.messagesSend.subject, 15))).toBe(true);
    expect(isDocumentedSubject(document, partitionSubject(contracts.messagesRead.subject, 0))).toBe(true);
    expect(isDocumentedSubject(document, partitionSubject(contracts.messagesHistory.subject, 0))).toBe(false);
  });

  it('rejects a subject it does not describe', () => {
    expect(isDocumentedSubject(document, 'chat.conv.x.unknown_event')).toBe(false);
    expect(subjectsUsed("bus.publish(conversationSubject(id, 'surprise'), e)").some((s) => isDocumentedSubject(document, s))).toBe(false);
  });
});

describe('stored event fixtures', () => {
  const schemas: z.ZodType[] = [...RelayedMessageEvent.options, ...RelayedConversationEvent.options];
  const fixtures = readdirSync(fixturesDir).map((name) => ({ name, event: JSON.parse(readFileSync(path.join(fixturesDir, name), 'utf8')) }));

  it.each(fixtures.map((f) => [f.name, f.event]))('%s still validates against the current contracts', (_name, event) => {
    const schema = event.type === 'user.registered' ? UserRegisteredV1 : event.type.startsWith('message.') ? RelayedMessageEvent : RelayedConversationEvent;
    expect(schema.safeParse(event).error).toBeUndefined();
  });

  it('has a fixture for every stored event version', () => {
    const names = new Set(fixtures.map((f) => f.name));
    for (const schema of schemas as unknown as { shape: { type: { value: string }; version: { value: number } } }[]) {
      expect(names).toContain(`${schema.shape.type.value}.v${schema.shape.version.value}.json`);
    }
  });
});
