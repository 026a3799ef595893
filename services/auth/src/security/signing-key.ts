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

/** A public key tokens may be verified with: the signing key's, or a retired one kept until its tokens expire. */
export interface VerificationKey {
  kid: string;
  publicKey: KeyObject;
  jwk: PublicJwk;
}

export interface SigningKey extends VerificationKey {
  privateKey: KeyObject;
}

const isP256 = (key: KeyObject) => key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';

/** A P-256 public key with a key id derived from it (RFC 7638 thumbprint). */
function verificationKeyFrom(publicKey: KeyObject, setting = 'AUTH_SIGNING_KEY'): VerificationKey {
  if (!isP256(publicKey)) throw new ConfigError(`${setting}: must be an EC P-256 key`);
  const { x, y } = publicKey.export({ format: 'jwk' });
  if (!x || !y) throw new ConfigError(`${setting}: public key has no coordinates`);
  // The thumbprint hashes the required members in lexical order, so any holder of the key computes the same id.
  const thumbprint = createHash('sha256').update(JSON.stringify({ crv: 'P-256', kty: 'EC', x, y })).digest('base64url');
  const kid = thumbprint.slice(0, 16);
  return { kid, publicKey, jwk: { kid, kty: 'EC', crv: 'P-256', x, y, alg: 'ES256', use: 'sig' } };
}

/** Wraps a P-256 private key with its public half and key id. */
export function signingKeyFrom(privateKey: KeyObject): SigningKey {
  if (!isP256(privateKey)) throw new ConfigError('AUTH_SIGNING_KEY: must be an EC P-256 private key');
  return { ...verificationKeyFrom(createPublicKey(privateKey)), privateKey };
}

// Env files and CI secrets often carry a PEM on one line with literal "\n".
const unescapePem = (pem: string) => (pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem);

/**
 * The retired keys in AUTH_PREVIOUS_KEYS: one or more PEM blocks (public keys, or the old private
 * keys, of which only the public half is kept). Their tokens stay valid until they expire.
 */
export function loadPreviousKeys(pems: string | undefined): VerificationKey[] {
  if (!pems?.trim()) return [];
  const blocks = unescapePem(pems).match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g);
  if (!blocks) throw new ConfigError('AUTH_PREVIOUS_KEYS: no PEM block found');
  return blocks.map((block) => {
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: block, format: 'pem' });
    } catch {
      throw new ConfigError('AUTH_PREVIOUS_KEYS: not a readable PEM key');
    }
    return verificationKeyFrom(publicKey, 'AUTH_PREVIOUS_KEYS');
  });
}

/**
 * The configured key, or outside production an ephemeral one: tokens then die with the process,
 * which is fine for development and tests but would log everyone out on every deploy.
 */
export function loadSigningKey(pem: string | undefined, production: boolean, logger: Logger): SigningKey {
  if (pem) {
    const text = unescapePem(pem);
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
