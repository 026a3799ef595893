import { ConfigError, type Logger } from '@pneumatic/platform';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface PublicJwk {
  kid: string;
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  alg: 'ES256';
  use: 'sig';
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: PublicJwk;
}

/** Wraps a P-256 private key with its public half and a key id derived from it (RFC 7638 thumbprint). */
export function signingKeyFrom(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError('AUTH_SIGNING_KEY: must be an EC P-256 private key');
  }
  const publicKey = createPublicKey(privateKey);
  const { x, y } = publicKey.export({ format: 'jwk' });
  if (!x || !y) throw new ConfigError('AUTH_SIGNING_KEY: public key has no coordinates');
  // The thumbprint hashes the required members in lexical order, so any holder of the key computes the same id.
  const thumbprint = createHash('sha256').update(JSON.stringify({ crv: 'P-256', kty: 'EC', x, y })).digest('base64url');
  const kid = thumbprint.slice(0, 16);
  return { kid, privateKey, publicKey, jwk: { kid, kty: 'EC', crv: 'P-256', x, y, alg: 'ES256', use: 'sig' } };
}

/**
 * The configured key, or outside production an ephemeral one: tokens then die with the process,
 * which is fine for development and tests but would log everyone out on every deploy.
 */
export function loadSigningKey(pem: string | undefined, production: boolean, logger: Logger): SigningKey {
  if (pem) {
    // Env files and CI secrets often carry the PEM on one line with literal "\n".
    const text = pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem;
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: text, format: 'pem' });
    } catch {
      throw new ConfigError('AUTH_SIGNING_KEY: not a readable PEM private key');
    }
    return signingKeyFrom(privateKey);
  }
  if (production) throw new ConfigError('AUTH_SIGNING_KEY: required when NODE_ENV=production');
  const key = signingKeyFrom(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  logger.warn({ kid: key.kid }, 'AUTH_SIGNING_KEY not set: signing with an ephemeral key; tokens will not survive a restart');
  return key;
}
