import type { IncomingMessage } from 'node:http';
import { clientAddress, parseTrustedProxies } from './trusted-proxies';

const upgrade = (peer: string, forwardedFor?: string) =>
  ({ socket: { remoteAddress: peer }, connection: { remoteAddress: peer }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} }) as unknown as IncomingMessage;

describe('parseTrustedProxies', () => {
  it('trusts nobody by default', () => {
    expect(parseTrustedProxies('').setting).toBe(false);
    expect(parseTrustedProxies(' none ').setting).toBe(false);
    expect(parseTrustedProxies('0').setting).toBe(false);
  });

  it('reads a hop count as a number', () => {
    const proxies = parseTrustedProxies('1');
    expect(proxies.setting).toBe(1);
    expect(proxies.trusts('10.0.0.1', 0)).toBe(true);
    expect(proxies.trusts('10.0.0.1', 1)).toBe(false);
  });

  it('reads addresses, CIDRs and names as a list', () => {
    const proxies = parseTrustedProxies('loopback, 172.18.0.0/16,10.1.2.3');
    expect(proxies.setting).toEqual(['loopback', '172.18.0.0/16', '10.1.2.3']);
    expect(proxies.trusts('127.0.0.1', 0)).toBe(true);
    expect(proxies.trusts('172.18.4.5', 0)).toBe(true);
    expect(proxies.trusts('10.1.2.3', 0)).toBe(true);
    expect(proxies.trusts('10.1.2.4', 0)).toBe(false);
  });

  it('refuses an entry that is not an address, CIDR or name', () => {
    expect(() => parseTrustedProxies('loopback,nginx')).toThrow();
    expect(() => parseTrustedProxies('10.0.0.0/99')).toThrow();
  });
});

describe('clientAddress', () => {
  it('ignores X-Forwarded-For when no proxy is trusted', () => {
    expect(clientAddress(upgrade('127.0.0.1', '203.0.113.7'), parseTrustedProxies(''))).toBe('127.0.0.1');
  });

  it('believes X-Forwarded-For from a trusted proxy, up to the first untrusted hop', () => {
    const proxies = parseTrustedProxies('loopback');
    expect(clientAddress(upgrade('127.0.0.1', '203.0.113.7'), proxies)).toBe('203.0.113.7');
    expect(clientAddress(upgrade('127.0.0.1', '203.0.113.7, 198.51.100.1'), proxies)).toBe('198.51.100.1');
    expect(clientAddress(upgrade('192.0.2.9', '203.0.113.7'), proxies)).toBe('192.0.2.9');
  });
});
