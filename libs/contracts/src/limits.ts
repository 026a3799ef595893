/** Product limits shared by every service; docs/protocol.md (Limits) documents them. */
export const limits = {
  contentMaxChars: 4000,
  usernameMinChars: 3,
  usernameMaxChars: 32,
  passwordMaxChars: 128,
  fullNameMaxChars: 100,
  titleMaxChars: 200,
  clientMessageIdMaxChars: 128,
  groupMaxMembers: 1000,
  historyDefaultLimit: 50,
  historyMaxLimit: 200,
  // 1000 users of 32-character names and 100-character full names fit one reply (see user-directory.test.ts).
  usersDefaultLimit: 1000,
  usersMaxLimit: 1000,
  conversationsDefaultLimit: 100,
  conversationsMaxLimit: 500,
  /** Serialized summaries per conversation-list page: a page stops early past this, far under NATS's 1 MiB. */
  conversationsPageMaxBytes: 512 * 1024,
  /** Conversation ids per page of the internal membership listing (the gateway's on WebSocket connect). */
  conversationIdsPageMax: 1000,
  httpBodyMaxBytes: 64 * 1024,
  wsFrameMaxBytes: 16 * 1024,
} as const;

export const usernamePattern = /^[a-zA-Z0-9_.-]+$/;

/**
 * The one canonical form of a username, used for every lookup, uniqueness check and limit key:
 * its lower case, and only for a valid name (ASCII, 3..32 of `[a-zA-Z0-9_.-]`). Anything else is
 * null, before any lookup: Unicode case mappings differ between JavaScript and Postgres (`İ`),
 * so a non-ASCII name could reach one account under many keys.
 */
export function canonicalUsername(name: string): string | null {
  if (name.length < limits.usernameMinChars || name.length > limits.usernameMaxChars || !usernamePattern.test(name)) return null;
  return name.toLowerCase();
}
