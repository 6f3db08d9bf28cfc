/** socket.io rooms of presence subscriptions: a socket in `presence:<id>` receives that user's updates. */
export const presenceRooms = {
  user: (userId: string) => `presence:${userId}`,
  /** Sockets subscribed with `all: true`. */
  all: 'presence:all',
  isPresenceRoom: (room: string) => room.startsWith('presence:'),
} as const;
