/** The projections an operator's tool (scripts/projections.ts) replays or rebuilds. */
export { conversationSummaries } from './conversation-summaries';
