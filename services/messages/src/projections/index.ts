/** The projections an operator's tool (scripts/projections.ts) replays, rebuilds or checks. */
export { compareHistory, rebuildHistory } from './history-rebuild';
export { backfillUserDirectory, userDirectory } from './user-directory';
