// @ts-check
// Tokens live in localStorage under the names seed 000 uses, so every tab of this origin shares them.
const ACCESS_KEY = 'accessToken';
const REFRESH_KEY = 'refreshToken';
// Refresh this long before the access token expires, so no request ever carries a stale one.
const REFRESH_MARGIN_MS = 60_000;

export class SessionExpired extends Error {}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail ?? `request failed (${status})`);
    this.status = status;
    this.code = body?.code;
  }
}

export const accessToken = () => localStorage.getItem(ACCESS_KEY);
const refreshToken = () => localStorage.getItem(REFRESH_KEY);

const accessTokenListeners = new Set();

/** Calls `listener(token)` with every new access token, saved by this tab or by another one. */
export function onAccessToken(listener) {
  accessTokenListeners.add(listener);
}

const announceAccessToken = (token) => accessTokenListeners.forEach((listener) => listener(token));
window.addEventListener('storage', (e) => e.key === ACCESS_KEY && e.newValue && announceAccessToken(e.newValue));

export function saveTokens({ access_token, refresh_token }) {
  localStorage.setItem(ACCESS_KEY, access_token);
  localStorage.setItem(REFRESH_KEY, refresh_token);
  announceAccessToken(access_token);
}

export function clearTokens() {
  localStorage.removeItem(ACCESS_KEY);
  localStorage.removeItem(REFRESH_KEY);
}

export const hasSession = () => Boolean(accessToken() && refreshToken());

/** Milliseconds since the epoch at which a JWT expires (0 when unreadable). */
export function expiryOf(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).exp * 1000;
  } catch {
    return 0;
  }
}

const needsRefresh = () => expiryOf(accessToken() ?? '') - Date.now() < REFRESH_MARGIN_MS;

let refreshing = null;

/**
 * Trades the refresh token for a new pair. Refresh tokens are single-use and reusing a spent one
 * revokes the whole family, so tabs take turns (Web Locks) and a tab skips the trade when another
 * one has just made it. Resolves false when the session is over; throws when the server is unreachable.
 */
export function refreshTokens() {
  refreshing ??= withRefreshLock(async () => {
    if (!needsRefresh()) return true;
    const token = refreshToken();
    if (!token) return false;
    const res = await fetch('/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: token }),
    });
    if (res.ok) {
      saveTokens(await res.json());
      return true;
    }
    if (res.status === 401 || res.status === 422) {
      clearTokens();
      return false;
    }
    throw new ApiError(res.status, await res.json().catch(() => null));
  }).finally(() => (refreshing = null));
  return refreshing;
}

function withRefreshLock(task) {
  return navigator.locks ? navigator.locks.request('pneumatic-token-refresh', task) : task();
}

/** A fresh access token, refreshing first when it is about to expire. */
export async function freshAccessToken() {
  if (needsRefresh() && !(await refreshTokens())) throw new SessionExpired('session expired');
  return accessToken();
}

/** Refreshes shortly before each expiry for as long as the page lives; `onExpired` when it cannot. */
export function keepSessionFresh(onExpired) {
  const schedule = () => {
    const wait = Math.max(5_000, expiryOf(accessToken() ?? '') - Date.now() - REFRESH_MARGIN_MS);
    setTimeout(run, Math.min(wait, 2 ** 31 - 1));
  };
  const run = async () => {
    try {
      if (!(await refreshTokens())) return onExpired();
    } catch {
      // Server unreachable: try again soon; the token may still be valid for a while.
    }
    schedule();
  };
  schedule();
}

/**
 * JSON API call with the bearer token; a 401 gets one refresh and one retry.
 * @param {string} path
 * @param {{ method?: string, body?: unknown }} [request]
 */
export async function api(path, { method = 'GET', body } = {}) {
  const send = async () =>
    fetch(path, {
      method,
      headers: {
        Authorization: `Bearer ${await freshAccessToken()}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  let res = await send();
  if (res.status === 401) {
    localStorage.setItem(ACCESS_KEY, ''); // forces the refresh below even if the clock disagrees
    if (!(await refreshTokens())) throw new SessionExpired('session expired');
    res = await send();
    if (res.status === 401) throw new SessionExpired('session expired');
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** Public (unauthenticated) JSON POST used by the login page. */
export async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** Ends the session on the server (revoking the refresh family) and locally. */
export async function logOut() {
  const token = refreshToken();
  try {
    if (token) await api('/auth/logout', { method: 'POST', body: { refresh_token: token } });
  } catch {
    // Logging out must work offline too; the refresh token simply expires.
  } finally {
    clearTokens();
  }
}
