import { commonPasswordsRefused, loadAuthConfig } from './config';

describe('auth config', () => {
  it('has documented defaults', () => {
    expect(loadAuthConfig({})).toMatchObject({
      PASSWORD_MIN_LENGTH: 8,
      ACCESS_TOKEN_TTL_SECONDS: 1800,
      REFRESH_TOKEN_TTL_SECONDS: 604800,
      JWT_ISSUER: 'pneumatic-auth',
      JWT_AUDIENCE: 'pneumatic',
      ARGON2_MEMORY_KIB: 65536,
      ARGON2_TIME_COST: 3,
      ARGON2_PARALLELISM: 1,
    });
    expect(loadAuthConfig({}).AUTH_SIGNING_KEY).toBeUndefined();
  });

  it('reads overrides and names every bad setting', () => {
    expect(loadAuthConfig({ PASSWORD_MIN_LENGTH: '6' }).PASSWORD_MIN_LENGTH).toBe(6);
    expect(() => loadAuthConfig({ ARGON2_TIME_COST: '0', ACCESS_TOKEN_TTL_SECONDS: 'soon' })).toThrow(
      /ARGON2_TIME_COST[\s\S]*ACCESS_TOKEN_TTL_SECONDS|ACCESS_TOKEN_TTL_SECONDS[\s\S]*ARGON2_TIME_COST/,
    );
  });

  it('refuses the top 10,000 common passwords by default, none when the minimum length is lowered for the seeds, as set otherwise', () => {
    expect(commonPasswordsRefused(loadAuthConfig({}))).toBe(10_000);
    expect(commonPasswordsRefused(loadAuthConfig({ PASSWORD_MIN_LENGTH: '6' }))).toBe(0);
    expect(commonPasswordsRefused(loadAuthConfig({ PASSWORD_MIN_LENGTH: '6', PASSWORD_COMMON_REFUSED: '3000' }))).toBe(3_000);
  });
});
