import { createLogger } from '@pneumatic/platform';
import { generateKeyPairSync } from 'node:crypto';
import { loadPreviousKeys, loadSigningKey, signingKeyFrom } from './signing-key';

const logger = createLogger('auth-test', 'silent');

describe('signing key', () => {
  it('derives a stable key id and public JWK from the private key', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const a = signingKeyFrom(privateKey);
    const b = loadSigningKey(pem, true, logger);
    expect(a.kid).toHaveLength(16);
    expect(b.kid).toBe(a.kid);
    expect(a.jwk).toMatchObject({ kid: a.kid, kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(a.jwk).not.toHaveProperty('d');
  });

  it('accepts a PEM written on one line with escaped newlines', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString().replace(/\n/g, '\\n');
    expect(loadSigningKey(pem, true, logger).kid).toBe(signingKeyFrom(privateKey).kid);
  });

  it('requires a configured key in production', () => {
    expect(() => loadSigningKey(undefined, true, logger)).toThrow('required when NODE_ENV=production');
  });

  it('generates an ephemeral key elsewhere', () => {
    expect(loadSigningKey(undefined, false, logger).kid).toHaveLength(16);
  });

  it('refuses keys of another kind', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(() => signingKeyFrom(privateKey)).toThrow('EC P-256');
    expect(() => loadSigningKey('garbage', false, logger)).toThrow('not a readable PEM');
  });

  it('reads retired keys from public or private PEM blocks, keeping only the public half', () => {
    const oldA = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const oldB = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pems =
      oldA.publicKey.export({ format: 'pem', type: 'spki' }).toString() +
      oldB.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString().replace(/\n/g, '\\n');
    const keys = loadPreviousKeys(pems);
    expect(keys.map((k) => k.kid)).toEqual([signingKeyFrom(oldA.privateKey).kid, signingKeyFrom(oldB.privateKey).kid]);
    expect(keys[1]).not.toHaveProperty('privateKey');
    expect(loadPreviousKeys(undefined)).toEqual([]);
    expect(() => loadPreviousKeys('garbage')).toThrow('AUTH_PREVIOUS_KEYS');
  });
});
