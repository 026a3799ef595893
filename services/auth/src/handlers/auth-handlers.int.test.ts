import { DomainError, SessionEnded, UserRegisteredV1, authSubjects, contracts, eventSubjects } from '@pneumatic/contracts';
import { connectDatabase, migrate, type Bus, type Database } from '@pneumatic/platform';
import { createTestContext, waitFor, type TestContext } from '@pneumatic/testkit';
import jwt from 'jsonwebtoken';
import { createPublicKey, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { z } from 'zod';
import { commonPasswords } from '../security/common-passwords';
import { PasswordHasher } from '../security/password-hasher';
import { loadSigningKey } from '../security/signing-key';
import { TokenIssuer } from '../security/token-issuer';
import { WorkQueue } from '../security/work-queue';
import { RefreshTokenStore } from '../store/refresh-token-store';
import { UserStore } from '../store/user-store';
import { registerAuthHandlers } from './auth-handlers';
import { registerUserHandlers } from './user-handlers';

// Small argon2 costs keep the suite fast; the production defaults are exercised by config tests.
const argon2Params = { memoryCost: 1024, timeCost: 2, parallelism: 1 };
const policy = { issuer: 'pneumatic-auth', audience: 'pneumatic', accessTtlSeconds: 1800, refreshTtlSeconds: 604800 };

describe('auth handlers (real Postgres and NATS)', () => {
  let ctx: TestContext;
  let bus: Bus;
  let db: Database;
  const registered: z.infer<typeof UserRegisteredV1>[] = [];
  const endings: SessionEnded[] = [];

  beforeAll(async () => {
    ctx = await createTestContext('auth');
    db = connectDatabase({ url: ctx.databaseUrl, schema: 'auth', logger: ctx.logger });
    await migrate(db, 'auth', path.join(__dirname, '..', '..', 'migrations'));
    bus = await ctx.connectBus();
    const users = new UserStore(db);
    registerAuthHandlers(bus, {
      users,
      refreshTokens: new RefreshTokenStore(db),
      passwords: new PasswordHasher(argon2Params, new WorkQueue(2, 50)),
      tokens: new TokenIssuer(loadSigningKey(undefined, false, ctx.logger), policy),
      passwordMinLength: 8,
      commonPasswords: commonPasswords(10_000),
      logger: ctx.logger,
    });
    registerUserHandlers(bus, users);
    bus.subscribe(eventSubjects.userRegistered, UserRegisteredV1, (event) => registered.push(event));
    bus.subscribe(authSubjects.sessionEnded, SessionEnded, (ended) => endings.push(ended));
    await bus.flush();
  });
  afterAll(async () => {
    await db.end();
    await ctx.cleanup();
  });

  const signup = (username: string, password = 'correct horse', full_name?: string) =>
    bus.call(contracts.authSignup, { username, password, full_name });
  const login = (username: string, password = 'correct horse') => bus.call(contracts.authLogin, { username, password });
  const refresh = (refresh_token: string) => bus.call(contracts.authRefresh, { refresh_token });
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (err: DomainError) => ({ code: err.code, detail: err.detail }),
    );

  describe('signup', () => {
    it('creates a user and answers without any credential', async () => {
      const reply = await signup('Ada', 'correct horse', 'Ada Lovelace');
      expect(reply).toEqual({ id: expect.any(String), username: 'Ada', full_name: 'Ada Lovelace' });
      expect(await signup('grace')).toMatchObject({ username: 'grace', full_name: null });
      const { rows } = await db.query('SELECT password_hash FROM users WHERE id = $1', [reply.id]);
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    });

    it('announces the new user to subscribers', async () => {
      const user = await signup('announced');
      const event = await waitFor('user.registered', () => registered.find((e) => e.data.user.id === user.id));
      expect(event).toMatchObject({ type: 'user.registered', version: 1, data: { user } });
      expect(new Date(event.time).toISOString()).toBe(event.time);
      expect(JSON.stringify(event)).not.toMatch(/argon2|correct horse/);
    });

    it('refuses a name already registered in any case', async () => {
      await signup('Duplicate');
      expect(await failureOf(signup('dUPLICATE'))).toEqual({ code: 'conflict', detail: 'Username already registered' });
    });

    it('refuses a password under the minimum length, naming the field', async () => {
      expect(await failureOf(signup('shorty', 'pass123'))).toEqual({
        code: 'validation_error',
        detail: 'password: must be at least 8 characters',
      });
    });

    it('refuses a common password, in any case, naming the field', async () => {
      for (const password of ['password', '12345678', 'qwertyuiop', 'Password123']) {
        expect(await failureOf(signup('commoner', password))).toEqual({
          code: 'validation_error',
          detail: 'password: is one of the most common passwords; choose another',
        });
      }
    });
  });

  describe('login', () => {
    beforeAll(() => signup('Lena'));

    it('returns a bearer pair, whatever the case of the name', async () => {
      const pair = await login('lena');
      expect(pair).toEqual({ access_token: expect.any(String), refresh_token: expect.any(String), token_type: 'bearer' });
      expect(jwt.decode(pair.access_token)).toMatchObject({ username: 'Lena', typ: 'access' });
    });

    it('answers a wrong password and an unknown user identically', async () => {
      const wrong = await failureOf(login('Lena', 'wrong horse'));
      const unknown = await failureOf(login('nobody-here', 'correct horse'));
      expect(wrong).toEqual({ code: 'unauthorized', detail: 'Incorrect username or password' });
      expect(unknown).toEqual(wrong);
    });

    it('answers a name with no canonical form as an unknown user, even when Postgres would fold it onto an account', async () => {
      await signup('siiiuser');
      // Postgres folds 'sİiiuser' onto 'siiiuser' (lower('İ') = 'i'); auth must not look it up at all.
      const { rows } = await db.query<{ folded: string }>("SELECT lower('sİiiuser') AS folded");
      expect(rows[0]!.folded).toBe('siiiuser');
      const wrong = await failureOf(login('siiiuser', 'wrong horse'));
      for (const name of ['sİiiuser', 'SİIIUSER', 'siiiuser\u0307', ' siiiuser']) {
        expect(await failureOf(login(name))).toEqual(wrong);
      }
      expect(await login('SIIIUSER')).toMatchObject({ token_type: 'bearer' });
    });

    it('upgrades a hash made with older parameters', async () => {
      const weakHash = await new PasswordHasher({ ...argon2Params, timeCost: 1 }, new WorkQueue(1, 1)).hash('correct horse');
      const { id } = await signup('legacy');
      await db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, weakHash]);
      await login('legacy');
      const { rows } = await db.query('SELECT password_hash FROM users WHERE id = $1', [id]);
      expect(rows[0].password_hash).not.toBe(weakHash);
      expect(rows[0].password_hash).toContain('t=2');
      await login('legacy');
    });
  });

  describe('refresh', () => {
    beforeAll(() => signup('rotor'));

    it('rotates, and reuse of a spent token revokes the whole family', async () => {
      const first = await login('rotor');
      const second = await refresh(first.refresh_token);
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(jwt.decode(second.access_token)).toMatchObject({ username: 'rotor', typ: 'access' });
      const third = await refresh(second.refresh_token);

      expect(await failureOf(refresh(first.refresh_token))).toEqual({ code: 'unauthorized', detail: 'refresh token reuse detected' });
      expect(await failureOf(refresh(third.refresh_token))).toMatchObject({ code: 'unauthorized' });

      // Another login starts a new family, untouched by the revocation.
      await refresh((await login('rotor')).refresh_token);
    });

    it('lets exactly one of two concurrent uses of a token rotate', async () => {
      const { refresh_token } = await login('rotor');
      const outcomes = await Promise.allSettled([refresh(refresh_token), refresh(refresh_token)]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    });

    it('refuses an access token', async () => {
      const { access_token } = await login('rotor');
      expect(await failureOf(refresh(access_token))).toMatchObject({ code: 'unauthorized' });
    });

    it('refuses a token that is not a JWT of this service', async () => {
      expect(await failureOf(refresh('not.a.jwt'))).toMatchObject({ code: 'unauthorized' });
    });
  });

  describe('logout', () => {
    it('revokes the family of its own token and ignores anyone else’s', async () => {
      const owner = await signup('leaver');
      const other = await signup('bystander');
      const pair = await login('leaver');
      const rotated = await refresh(pair.refresh_token);

      expect(await bus.call(contracts.authLogout, { refresh_token: rotated.refresh_token, actor_id: other.id })).toEqual({});
      const survivor = await refresh(rotated.refresh_token);

      expect(await bus.call(contracts.authLogout, { refresh_token: survivor.refresh_token, actor_id: owner.id })).toEqual({});
      expect(await failureOf(refresh(survivor.refresh_token))).toEqual({ code: 'unauthorized', detail: 'refresh token revoked' });
    });
  });

  describe('ended sessions', () => {
    const sessionOf = (accessToken: string) => (jwt.decode(accessToken) as { sid: string }).sid;
    const logout = (refresh_token: string, actor_id: string) => bus.call(contracts.authLogout, { refresh_token, actor_id });
    const listEnded = (since = new Date(0).toISOString(), after_session_id?: string, limit = 1000) =>
      bus.call(contracts.authEndedSessions, { since, after_session_id, limit });
    let user: { id: string };
    beforeAll(async () => {
      user = await signup('sessioned');
    });

    it('puts the family in access tokens as sid, the same across rotations', async () => {
      const pair = await login('sessioned');
      const rotated = await refresh(pair.refresh_token);
      expect(sessionOf(rotated.access_token)).toBe(sessionOf(pair.access_token));
      expect(sessionOf(pair.access_token)).toBe((jwt.decode(pair.refresh_token) as { fam: string }).fam);
    });

    it('announces a logout once, and lists it for as long as an access token may live', async () => {
      const pair = await login('sessioned');
      const sid = sessionOf(pair.access_token);
      await logout(pair.refresh_token, user.id);
      const notice = await waitFor('session ended notice', () => endings.find((e) => e.session_id === sid));
      expect(notice).toMatchObject({ user_id: user.id, reason: 'logout' });
      expect(Date.parse(notice.expires_at) - Date.parse(notice.ended_at)).toBe(policy.accessTtlSeconds * 1000);
      expect((await listEnded()).sessions).toContainEqual(notice);

      await logout(pair.refresh_token, user.id);
      await bus.flush();
      expect(endings.filter((e) => e.session_id === sid)).toHaveLength(1);
    });

    it('announces the session a refresh-token reuse ended', async () => {
      const pair = await login('sessioned');
      await refresh(pair.refresh_token);
      await failureOf(refresh(pair.refresh_token));
      const notice = await waitFor('reuse notice', () => endings.find((e) => e.session_id === sessionOf(pair.access_token)));
      expect(notice).toMatchObject({ user_id: user.id, reason: 'refresh_token_reuse' });
    });

    it('lists ended sessions page by page, oldest first, from a cursor', async () => {
      const { as_of } = await listEnded();
      const sids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const pair = await login('sessioned');
        sids.push(sessionOf(pair.access_token));
        await logout(pair.refresh_token, user.id);
      }
      const first = await listEnded(as_of, undefined, 2);
      expect(first.has_more).toBe(true);
      const last = first.sessions.at(-1)!;
      const second = await listEnded(last.ended_at, last.session_id, 2);
      expect(second.has_more).toBe(false);
      expect([...first.sessions, ...second.sessions].map((s) => s.session_id)).toEqual(sids);
    });

    it('leaves no live successor when a logout races a rotation', async () => {
      for (let i = 0; i < 5; i++) {
        const pair = await login('sessioned');
        const [rotated] = await Promise.allSettled([refresh(pair.refresh_token), logout(pair.refresh_token, user.id)]);
        if (rotated.status === 'fulfilled') {
          expect(await failureOf(refresh(rotated.value.refresh_token))).toMatchObject({ code: 'unauthorized' });
        }
      }
    });
  });

  describe('jwks', () => {
    it('publishes a key that verifies access tokens', async () => {
      await signup('verifier');
      const { access_token } = await login('verifier');
      const { keys } = await bus.call(contracts.authJwks, {});
      expect(keys).toHaveLength(1);
      const jwk = keys[0]!;
      expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(jwk).not.toHaveProperty('d');
      expect(jwt.decode(access_token, { complete: true })?.header.kid).toBe(jwk.kid);

      const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
      const claims = jwt.verify(access_token, key, { algorithms: ['ES256'], issuer: policy.issuer, audience: policy.audience });
      expect(claims).toMatchObject({ username: 'verifier', typ: 'access', jti: expect.any(String) });
    });
  });

  describe('users', () => {
    const names = ['Pam', 'pat', 'Pa_x', 'paula', 'pAz', 'Quinn'];
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      for (const name of names) ids[name] = (await signup(name)).id;
    });

    it('searches by case-insensitive prefix, page by page', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        const reply = await bus.call(contracts.usersList, { q: 'PA', limit: 2, cursor });
        seen.push(...reply.users.map((u) => u.username));
        if (!reply.next_cursor) break;
        cursor = reply.next_cursor;
      }
      expect(seen).toEqual(['Pa_x', 'Pam', 'pat', 'paula', 'pAz']);
    });

    it('treats LIKE wildcards in the query literally', async () => {
      const { users } = await bus.call(contracts.usersList, { q: 'pa_', limit: 50 });
      expect(users.map((u) => u.username)).toEqual(['Pa_x']);
    });

    it('answers the last page with no cursor and refuses a forged one', async () => {
      expect(await bus.call(contracts.usersList, { q: 'quinn', limit: 5 })).toEqual({
        users: [{ id: ids.Quinn, username: 'Quinn', full_name: null }],
        next_cursor: null,
      });
      expect(await failureOf(bus.call(contracts.usersList, { limit: 5, cursor: '!!' }))).toMatchObject({ code: 'validation_error' });
      expect(await failureOf(bus.call(contracts.usersList, { limit: 0 }))).toMatchObject({ code: 'validation_error' });
    });

    it('looks up the known users among many ids', async () => {
      const { users } = await bus.call(contracts.usersLookup, { user_ids: [ids.Pam!, randomUUID(), ids.Quinn!] });
      expect(users.map((u) => u.username).sort()).toEqual(['Pam', 'Quinn']);
      expect(JSON.stringify(users)).not.toMatch(/argon2|password/);
    });

    it('resolves usernames case-insensitively, leaving unknown names out', async () => {
      const { users } = await bus.call(contracts.usersResolve, { usernames: ['PAM', 'quinn', 'Quinn', 'ghost', 'pa%'] });
      expect(users.map((u) => u.id).sort()).toEqual([ids.Pam, ids.Quinn].sort());
      expect(await bus.call(contracts.usersResolve, { usernames: [] })).toEqual({ users: [] });
    });

    it('gets one user, or not_found', async () => {
      expect(await bus.call(contracts.usersGet, { user_id: ids.pat! })).toEqual({ id: ids.pat, username: 'pat', full_name: null });
      expect(await failureOf(bus.call(contracts.usersGet, { user_id: randomUUID() }))).toEqual({
        code: 'not_found',
        detail: 'user not found',
      });
    });
  });
});
