/** Product limits shared by every service; the README documents them. */
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
  usersDefaultLimit: 50,
  usersMaxLimit: 200,
  httpBodyMaxBytes: 64 * 1024,
  wsFrameMaxBytes: 16 * 1024,
} as const;

export const usernamePattern = /^[a-zA-Z0-9_.-]+$/;
