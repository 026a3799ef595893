import { trace } from '@opentelemetry/api';
import pino from 'pino';
import { traceFieldsOf } from './telemetry';

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

export function createLogger(service: string, level = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    // The active span's ids, so a log line leads to its trace.
    mixin: () => traceFieldsOf(trace.getActiveSpan()),
  };
  return destination ? pino(options, destination) : pino(options);
}
