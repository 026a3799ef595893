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
  authEndedSessions: 'auth.sessions.ended',
  usersGet: 'users.get',
  usersList: 'users.list',
  usersLookup: 'users.lookup',
  usersResolve: 'users.resolve',
  conversationsCreate: 'conversations.create',
  conversationsGet: 'conversations.get',
  conversationsList: 'conversations.list',
  conversationsIdsOf: 'conversations.ids_of',
  conversationsMembership: 'conversations.membership',
  conversationsAddMembers: 'conversations.members.add',
  conversationsRemoveMember: 'conversations.members.remove',
  conversationsRename: 'conversations.rename',
  messagesSend: 'messages.send',
  messagesHistory: 'messages.history',
  messagesEdit: 'messages.edit',
  messagesDelete: 'messages.delete',
  messagesReact: 'messages.react',
  messagesRead: 'messages.read',
  presenceQuery: 'presence.query',
} as const;

export const presenceSubjects = {
  connected: 'presence.connected',
  disconnected: 'presence.disconnected',
  heartbeat: 'presence.heartbeat',
  /** Online/offline transitions, published once each by the presence service. */
  status: 'presence.status',
} as const;

/** Notices of the auth service, to every gateway (core NATS, no queue group). */
export const authSubjects = {
  /** A login session ended (logout, refresh-token reuse): its access tokens and sockets are done. */
  sessionEnded: 'auth.session.ended',
} as const;

/** Domain events other services may keep projections of. */
export const eventSubjects = {
  userRegistered: 'events.user.registered',
} as const;

/**
 * Realtime copy of a conversation's events, for gateways holding a member's socket. The last
 * token names the event: message, message_edited, message_deleted, message_reaction, read,
 * member_added, member_removed, and typing (published by gateways themselves).
 */
export const conversationSubject = (conversationId: string, event = '>') => `chat.conv.${conversationId}.${event}`;

/** Events addressed to one user on every device: conversation_created (also when added to one), member_removed. */
export const userSubject = (userId: string, event = '>') => `chat.user.${userId}.${event}`;
