// @ts-check
import { SessionExpired, expiryOf, freshAccessToken, onAccessToken, refreshTokens } from './session.js';

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const PING_EVERY_MS = 25_000;
const PONG_WITHIN_MS = 10_000;
// Messages typed offline wait here; past the bound the composer refuses more instead of growing forever.
export const OUTBOX_LIMIT = 100;
export const RETRYABLE = new Set(['overloaded', 'unavailable', 'rate_limited']);
const POLICY_VIOLATION = 1008;
// The server closes a socket when its token expires; this long before, the socket is renewed.
const RENEW_BEFORE_EXPIRY_MS = 30_000;

/**
 * The page's one WebSocket to /ws: reconnects with jittered exponential backoff, detects dead
 * links with ping/pong, and keeps an outbox of sent messages until the server echoes each back,
 * resending them (same message_id, so never stored twice) after every reconnect. A socket lives
 * no longer than its access token, so every new token (refreshed by this tab or another) is sent
 * as an `auth` frame, and a refresh is forced shortly before the socket's token expires.
 *
 * Events: `state` (detail: 'connecting' | 'online' | 'offline'), `open` (after each (re)connect),
 * `frame` (detail: a parsed server frame), `sendfailed` (detail: { message_id, reason }), `expired`.
 */
export class Realtime extends EventTarget {
  state = 'connecting';
  #ws = null;
  #attempt = 0;
  #retryTimer = null;
  #pingTimer = null;
  #pongTimer = null;
  #stopped = false;
  /** The access token the open socket was opened or last renewed with. */
  #token = null;
  #renewTimer = null;
  /** message_id -> message frame, in the order typed. */
  #outbox = new Map();

  start() {
    window.addEventListener('online', () => this.#reconnectNow());
    onAccessToken((token) => this.#renew(token));
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#renewTimer);
    this.#stopHeartbeat();
    this.#ws?.close(1000, 'bye');
  }

  get isOpen() {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  get queued() {
    return this.#outbox.size;
  }

  /** Sends a frame if connected; ephemeral frames (typing, read, join) are simply dropped offline. */
  send(frame) {
    if (!this.isOpen) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  /** Queues a chat message until acknowledged; false when the outbox is full. */
  sendMessage(frame) {
    if (this.#outbox.size >= OUTBOX_LIMIT) return false;
    this.#outbox.set(frame.message_id, frame);
    this.send({ ...frame, ref: frame.message_id });
    return true;
  }

  #setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }

  async #connect() {
    if (this.#stopped) return;
    this.#setState('connecting');
    let token;
    try {
      token = await freshAccessToken();
    } catch (err) {
      if (err instanceof SessionExpired) return this.#expire();
      return this.#scheduleRetry();
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`);
    this.#ws = ws;
    ws.addEventListener('open', () => {
      this.#token = token;
      this.#scheduleRenewal(expiryOf(token));
      this.#attempt = 0;
      this.#setState('online');
      this.#startHeartbeat();
      this.dispatchEvent(new Event('open'));
      for (const frame of this.#outbox.values()) this.send({ ...frame, ref: frame.message_id });
    });
    ws.addEventListener('message', (e) => this.#receive(e.data));
    ws.addEventListener('close', (e) => this.#closed(ws, e.code));
  }

  /** Hands the open socket a newer token; the server answers `authenticated`, or closes (1008). */
  #renew(token) {
    if (!this.isOpen || token === this.#token) return;
    this.#token = token;
    this.send({ type: 'auth', token });
  }

  #scheduleRenewal(expiresAt) {
    clearTimeout(this.#renewTimer);
    const wait = Math.max(1_000, expiresAt - Date.now() - RENEW_BEFORE_EXPIRY_MS);
    // freshAccessToken refreshes when the token is this close to expiry; the new one reaches #renew.
    this.#renewTimer = setTimeout(() => freshAccessToken().then((t) => this.#renew(t)).catch(() => undefined), Math.min(wait, 2 ** 31 - 1));
  }

  #closed(ws, code) {
    if (this.#ws !== ws) return;
    clearTimeout(this.#renewTimer);
    this.#stopHeartbeat();
    this.#ws = null;
    if (this.#stopped) return;
    this.#setState('offline');
    if (code === POLICY_VIOLATION) return this.#renewTokenThenRetry();
    this.#scheduleRetry();
  }

  // 1008 means the token was refused: a refresh decides between reconnecting and logging out.
  async #renewTokenThenRetry() {
    try {
      localStorage.setItem('accessToken', '');
      if (!(await refreshTokens())) return this.#expire();
    } catch {
      // Unreachable server: fall through to the ordinary backoff.
    }
    this.#scheduleRetry();
  }

  #expire() {
    this.#stopped = true;
    this.dispatchEvent(new Event('expired'));
  }

  #scheduleRetry() {
    clearTimeout(this.#retryTimer);
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.#attempt++);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #reconnectNow() {
    if (this.#stopped || this.#ws) return;
    clearTimeout(this.#retryTimer);
    this.#attempt = 0;
    this.#connect();
  }

  #receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    clearTimeout(this.#pongTimer);
    if (frame.type === 'message') this.#outbox.delete(frame.message.message_id);
    if (frame.type === 'authenticated') this.#scheduleRenewal(Date.parse(frame.expires_at));
    if (frame.type === 'error' && this.#outbox.has(frame.ref)) this.#sendFailed(frame);
    this.dispatchEvent(new CustomEvent('frame', { detail: frame }));
  }

  #sendFailed(frame) {
    const queued = this.#outbox.get(frame.ref);
    if (RETRYABLE.has(frame.code)) {
      // The server asked us to come back later: resend the same message_id after a pause.
      setTimeout(() => this.#outbox.has(frame.ref) && this.send({ ...queued, ref: frame.ref }), 2_000);
      return;
    }
    this.#outbox.delete(frame.ref);
    this.dispatchEvent(new CustomEvent('sendfailed', { detail: { message_id: frame.ref, reason: frame.reason } }));
  }

  #startHeartbeat() {
    this.#pingTimer = setInterval(() => {
      this.send({ type: 'ping' });
      clearTimeout(this.#pongTimer);
      // Any frame counts as a sign of life; silence means a half-open link, so start over.
      this.#pongTimer = setTimeout(() => {
        const ws = this.#ws;
        ws?.close(4000, 'no pong');
        this.#closed(ws, 4000); // a dead link may take minutes to report its close
      }, PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  #stopHeartbeat() {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongTimer);
  }
}
