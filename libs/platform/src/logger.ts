import pino from 'pino';

export type Logger = pino.Logger;

/** Fields that must never reach a log line, wherever they sit in a logged object. */
const redactedPaths = [
  'password',
  'password_hash',
  'access_token',
  'refresh_token',
  'token',
  'authorization',
  'privateKey',
].flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}
