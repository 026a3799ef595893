import { httpSecurityEvent } from './security-events';

describe('httpSecurityEvent', () => {
  it('reads a 401 of a login as a failed login and any other 401 as an invalid token', () => {
    expect(httpSecurityEvent('/auth/login', 401, 'unauthorized')).toBe('login_failed');
    expect(httpSecurityEvent('/auth/token', 401, 'unauthorized')).toBe('login_failed');
    expect(httpSecurityEvent('/auth/me', 401, 'unauthorized')).toBe('token_invalid');
  });

  it('tells a login lockout from other rate-limit refusals', () => {
    expect(httpSecurityEvent('/auth/login', 429, 'login_locked')).toBe('login_locked');
    expect(httpSecurityEvent('/auth/login', 429, 'rate_limited')).toBe('rate_limited');
    expect(httpSecurityEvent('/conversations', 429, 'rate_limited')).toBe('rate_limited');
  });

  it('records only not_a_member among 403s, and nothing for other replies', () => {
    expect(httpSecurityEvent('/conversations/x/messages', 403, 'not_a_member')).toBe('not_a_member');
    expect(httpSecurityEvent('/conversations/x/messages', 403, 'forbidden')).toBeUndefined();
    expect(httpSecurityEvent('/auth/login', 200, undefined)).toBeUndefined();
    expect(httpSecurityEvent('/auth/login', 422, 'validation_error')).toBeUndefined();
  });
});
