import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * The `top` most common passwords of zxcvbn-ts's list (ranked by frequency in real breaches;
 * ~49,000 entries), lower case. OWASP ASVS 5.0 V6.2.4 asks for at least the top 3,000.
 */
export function commonPasswords(top: number): ReadonlySet<string> {
  return new Set(dictionary['passwords-common'].slice(0, top).map((p) => p.toLowerCase()));
}
