import { ConfigError } from './config';
import type { Logger } from './logger';

export type Stop = () => Promise<unknown> | unknown;
/** Registers a stop step; steps run in reverse order of registration. */
export type OnStop = (stop: Stop) => void;

/**
 * Runs a service's start function and stops what it started, in reverse order, on SIGTERM or
 * SIGINT, within a deadline: a stuck dependency cannot keep a process from exiting.
 */
export async function runService(
  start: (onStop: OnStop) => Promise<{ logger: Logger; shutdownTimeoutMs: number }>,
): Promise<void> {
  const stops: Stop[] = [];
  let started: { logger: Logger; shutdownTimeoutMs: number };
  try {
    started = await start((stop) => stops.push(stop));
  } catch (err) {
    if (err instanceof ConfigError) console.error(err.message);
    else console.error('failed to start:', err);
    process.exit(1);
  }
  const { logger, shutdownTimeoutMs } = started;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline passed, exiting');
      process.exit(1);
    }, shutdownTimeoutMs);
    deadline.unref();
    for (const stop of stops.reverse()) {
      await Promise.resolve()
        .then(stop)
        .catch((err) => logger.warn({ err }, 'stop step failed'));
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
}
