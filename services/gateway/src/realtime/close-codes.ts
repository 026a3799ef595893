/** Close codes the protocol documents (docs/protocol.md, "WebSocket close codes"). */
export const closeCodes = {
  policy: 1008,
  restart: 1012,
  tryAgainLater: 1013,
  badToken: 4001,
  notMember: 4003,
  noConversation: 4004,
  tooSlow: 4008,
} as const;
