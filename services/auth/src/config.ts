import { commonEnv, databaseEnv, loadConfig } from '@pneumatic/platform';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const authEnv = {
  ...commonEnv,
  ...databaseEnv,
  // OWASP's floor for passwords without MFA; seed 000's 7-character examples need 6.
  PASSWORD_MIN_LENGTH: z.coerce.number().int().min(1).max(128).default(8),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt(1800),
  REFRESH_TOKEN_TTL_SECONDS: positiveInt(604_800),
  JWT_ISSUER: z.string().min(1).default('pneumatic-auth'),
  JWT_AUDIENCE: z.string().min(1).default('pneumatic'),
  /** PEM (PKCS#8) EC P-256 private key; when absent outside production an ephemeral key is generated. */
  AUTH_SIGNING_KEY: z.string().optional(),
  /** PEM blocks of retired signing keys (public or private), still published and accepted until their tokens expire. */
  AUTH_PREVIOUS_KEYS: z.string().optional(),
  // 64 MiB and 3 passes: RFC 9106's memory-constrained profile, on one lane so logins do not contend for cores.
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(8).default(65_536),
  ARGON2_TIME_COST: positiveInt(3),
  ARGON2_PARALLELISM: positiveInt(1),
};

export const loadAuthConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(authEnv, env);
export type AuthConfig = ReturnType<typeof loadAuthConfig>;
