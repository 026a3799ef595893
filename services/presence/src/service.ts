import { type Bus, type Logger, type OnStop } from '@pneumatic/platform';
import type { PresenceConfig } from './config';
import { OfflineSweeper } from './handlers/offline-sweeper';
import { registerPresenceHandlers } from './handlers/presence-handlers';
import type { PresenceLeases } from './store/presence-store';

export interface PresenceServiceDeps {
  config: PresenceConfig;
  logger: Logger;
  bus: Bus;
  /** Redis's store in its own process, the in-memory one embedded. */
  store: PresenceLeases;
}

/** Answers presence reports and queries and sweeps users offline; the same in its own process and embedded. */
export function startPresenceService({ config, logger, bus, store }: PresenceServiceDeps, onStop: OnStop): void {
  registerPresenceHandlers(bus, store, logger);
  const sweeper = new OfflineSweeper(bus, store, logger);
  sweeper.start(config.PRESENCE_SWEEP_SECONDS * 1000);
  onStop(() => sweeper.stop());
}
