/** socket.io room names: one place so every service addresses the same rooms. */
export const rooms = {
  /** Every socket of a user, on any instance. */
  user: (userId: string) => `user:${userId}`,
  /** Every socket of one session (a tab/device that may reconnect). */
  session: (sessionId: string) => `session:${sessionId}`,
  /** Every socket opened with the tokens of one login (`GET /auth/sessions`): what logout ends. */
  authSession: (authSessionId: string) => `auth:${authSessionId}`,
  /** Every socket of a user opened with a token of no login (the identity provider's). */
  providerTokens: (userId: string) => `provider-tokens:${userId}`,
  /** Every socket of every member of a chat room. */
  chatRoom: (roomId: string) => `room:${roomId}`,
  /** Every authenticated socket, once it was told `session`: for events that go to every connected user. */
  everyone: 'authenticated',
} as const;
