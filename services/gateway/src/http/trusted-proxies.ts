import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * Whose X-Forwarded-For is believed: nobody (the peer is the client), the nearest `hops` proxies,
 * or peers in a list of addresses, CIDRs and proxy-addr's names (loopback, linklocal, uniquelocal).
 */
export interface TrustedProxies {
  /** The value for express's `trust proxy`, which accepts exactly these three forms. */
  setting: false | number | string[];
  /** The same trust as a function, for proxy-addr on requests express never sees (WebSocket upgrades). */
  trusts: (address: string, hop: number) => boolean;
}

const hopCount = /^\d+$/;

/** Parses TRUSTED_PROXIES; throws on an entry proxy-addr cannot read, so a typo fails at startup, not silently. */
export function parseTrustedProxies(value: string): TrustedProxies {
  const text = value.trim();
  if (text === '' || text === 'none') return { setting: false, trusts: () => false };
  if (hopCount.test(text)) {
    const hops = Number(text);
    return { setting: hops === 0 ? false : hops, trusts: (_address, hop) => hop < hops };
  }
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  return { setting: entries, trusts: proxyaddr.compile(entries) };
}

/** The client's address: the peer, or the last untrusted X-Forwarded-For hop when the peer is a trusted proxy. */
export const clientAddress = (req: IncomingMessage, proxies: TrustedProxies): string =>
  req.socket.remoteAddress ? proxyaddr(req, proxies.trusts) : 'unknown';
