import { migrate, type Database } from '@pneumatic/platform';
import path from 'node:path';

export const messagesSchema = 'messages';

/** Creates or updates the messages schema (its migrations and the event store's): the service at start, and the integration tests. */
export const migrateMessages = (db: Database) =>
  migrate(db, messagesSchema, path.join(__dirname, '..', '..', 'migrations'), { eventStore: true });
