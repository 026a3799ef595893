import { commonEnv, databaseEnv, loadConfig } from '@pneumatic/platform';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** @public Read by name by the static checks of compose and k8s (test/static/env-shapes.ts). */
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
  // One argon2 job per core at once; a few more wait (each ~0.2 s), the rest are refused with 503 overloaded.
  ARGON2_CONCURRENCY: positiveInt(availableParallelism()),
  ARGON2_MAX_WAITING: z.coerce.number().int().min(0).default(2 * availableParallelism()),
  // How many of the most common passwords signup refuses (OWASP ASVS 5.0 V6.2.4: at least 3,000); 0 refuses none.
  // Unset, it follows PASSWORD_MIN_LENGTH (commonPasswordsRefused): seed 000's `pass123` is on the list.
  PASSWORD_COMMON_REFUSED: z.coerce.number().int().min(0).optional(),
};

export const loadAuthConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(authEnv, env);
export type AuthConfig = ReturnType<typeof loadAuthConfig>;

/**
 * The top 10,000 common passwords are refused unless the deployment lowered PASSWORD_MIN_LENGTH
 * below OWASP's 8: that setting exists for seed 000's examples (`pass123`, rank 2,098 on the list),
 * which must work verbatim with it alone.
 */
export const commonPasswordsRefused = (config: { PASSWORD_MIN_LENGTH: number; PASSWORD_COMMON_REFUSED?: number }): number =>
  config.PASSWORD_COMMON_REFUSED ?? (config.PASSWORD_MIN_LENGTH >= 8 ? 10_000 : 0);
