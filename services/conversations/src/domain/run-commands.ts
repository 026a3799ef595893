import { decide, evolve, type ConversationCommand, type ConversationEvent, type ConversationState } from './conversation';

/**
 * Runs commands one after another, as the store does: decide on the folded state, then fold the
 * new events. For tests: what a sequence of commands leaves, and every event it emitted.
 */
export function runCommands(...commands: ConversationCommand[]): { state: ConversationState; events: ConversationEvent[] } {
  let state: ConversationState = null;
  const events: ConversationEvent[] = [];
  for (const command of commands) {
    const emitted: ConversationEvent[] = decide(command, state);
    events.push(...emitted);
    state = emitted.reduce(evolve, state);
  }
  return { state, events };
}
