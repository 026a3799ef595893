import { DomainError, authSubjects, contracts, type SessionEnded } from '@pneumatic/contracts';
import type { Bus, Subscription } from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import { randomUUID } from 'node:crypto';
import { SessionRevocations } from './session-revocations';

/**
 * The gateway's view of ended sessions over real NATS. Auth's list is answered here by a stand-in
 * holding `listed`, so a test decides what a gateway could have missed; the e2e suite
 * (test/e2e/sessions.test.ts) runs the real auth service.
 */
describe('session revocations (real NATS)', () => {
  let ctx: TestContext;
  let bus: Bus;
  let listed: SessionEnded[];
  let auth: Subscription | undefined;
  const started: SessionRevocations[] = [];

  const ending = (endedAtMs = Date.now()): SessionEnded => ({
    session_id: randomUUID(),
    user_id: randomUUID(),
    reason: 'logout',
    ended_at: new Date(endedAtMs).toISOString(),
    expires_at: new Date(endedAtMs + 60_000).toISOString(),
  });

  /** Answers auth.sessions.ended from `listed`, by the contract's keyset order. */
  const serveList = () =>
    bus.serve(
      contracts.authEndedSessions,
      async ({ since, after_session_id = '', limit }) => {
        const after = listed
          .filter((s) => s.ended_at > since || (s.ended_at === since && s.session_id > after_session_id))
          .sort((a, b) => a.ended_at.localeCompare(b.ended_at) || a.session_id.localeCompare(b.session_id));
        return { sessions: after.slice(0, limit), has_more: after.length > limit, as_of: new Date().toISOString() };
      },
      { queue: 'auth' },
    );

  const start = (pollMs = 60_000) => {
    const revocations = new SessionRevocations(bus, ctx.logger, pollMs);
    const heard: string[] = [];
    revocations.onEnded((e) => heard.push(e.session_id));
    revocations.start();
    started.push(revocations);
    return { revocations, heard };
  };

  beforeAll(async () => {
    ctx = await createTestContext('gateway_sessions');
    bus = await ctx.connectBus();
  });
  beforeEach(() => {
    listed = [];
    auth?.unsubscribe();
    auth = serveList();
  });
  afterEach(() => started.splice(0).forEach((r) => r.stop()));
  afterAll(async () => {
    await ctx.cleanup();
  });

  it('ends a session as soon as its notice arrives, telling listeners once', async () => {
    const { revocations, heard } = start();
    expect(await revocations.hasEnded(randomUUID())).toBe(false);
    const ended = ending();
    bus.publish(authSubjects.sessionEnded, ended);
    bus.publish(authSubjects.sessionEnded, ended);
    await waitFor('the notice', () => heard.includes(ended.session_id));
    await bus.flush();
    expect(await revocations.hasEnded(ended.session_id)).toBe(true);
    expect(heard).toEqual([ended.session_id]);
  });

  it('catches up an ending whose notice it missed by polling auth’s list', async () => {
    const { revocations, heard } = start(200);
    expect(await revocations.hasEnded(randomUUID())).toBe(false);
    const missed = ending();
    listed.push(missed);
    await waitFor('the poll to find the missed ending', () => heard.includes(missed.session_id), 5000);
    expect(await revocations.hasEnded(missed.session_id)).toBe(true);
  });

  it('reads every page of the list before its first answer, so a gateway started later refuses them all', async () => {
    const base = Date.now() - 10_000;
    listed = Array.from({ length: 2500 }, (_, i) => ending(base + Math.floor(i / 3)));
    const { revocations } = start();
    for (const ended of [listed[0]!, listed[1234]!, listed[2499]!]) expect(await revocations.hasEnded(ended.session_id)).toBe(true);
  });

  it('refuses to answer, as unavailable, until auth’s list has been read once', async () => {
    auth?.unsubscribe();
    auth = undefined;
    const { revocations } = start();
    const refusal = await revocations.hasEnded(randomUUID()).catch((err: DomainError) => err);
    expect(refusal).toMatchObject({ code: 'unavailable' });
    const ended = ending();
    listed.push(ended);
    auth = serveList();
    await bus.flush();
    expect(await revocations.hasEnded(ended.session_id)).toBe(true);
  });
});
