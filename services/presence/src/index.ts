/** The presence service's public surface: what a launcher needs to run it inside its own process. */
export { presenceEnv } from './config';
export { startPresenceService } from './service';
export { PresenceStore, type PresenceLeases, type PresenceTimings } from './store/presence-store';
