/** The messages service's public surface: what a launcher needs to run it inside its own process. */
export { messagesSchema, startMessagesService } from './service';
export { groupCommitEnv, messageBoundsEnv } from './config';
/** The application name of a replica's lease session in pg_stat_activity: what a fault drill kills. */
export { leaseApplicationName } from './store/partition-leases';
