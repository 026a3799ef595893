/**
 * NATS subjects, before the deployment's prefix (NATS_SUBJECT_PREFIX) that the bus adapter adds.
 * Request/reply subjects are served by queue groups; `chat.*` subjects carry realtime fan-out.
 */
export const rpcSubjects = {
  authSignup: 'auth.signup',
  authLogin: 'auth.login',
  authRefresh: 'auth.refresh',
  authLogout: 'auth.logout',
  authJwks: 'auth.jwks',
  usersGet: 'users.get',
  usersList: 'users.list',
  usersLookup: 'users.lookup',
  conversationsCreate: 'conversations.create',
  conversationsGet: 'conversations.get',
  conversationsList: 'conversations.list',
  conversationsMembership: 'conversations.membership',
  messagesSend: 'messages.send',
  messagesHistory: 'messages.history',
  presenceQuery: 'presence.query',
} as const;

export const presenceSubjects = {
  connected: 'presence.connected',
  disconnected: 'presence.disconnected',
  heartbeat: 'presence.heartbeat',
} as const;

/** Domain events other services may keep projections of. */
export const eventSubjects = {
  userRegistered: 'events.user.registered',
} as const;

/** Realtime copy of a conversation's events, for gateways holding a member's socket. */
export const conversationSubject = (conversationId: string, event = '>') => `chat.conv.${conversationId}.${event}`;

/** Events addressed to one user on every device (e.g. they were added to a conversation). */
export const userSubject = (userId: string, event = '>') => `chat.user.${userId}.${event}`;
