/**
 * The order in which capabilities hear of sockets coming and going, in one place (lower first).
 *
 * - `prepare` runs before the client is told it is connected (`session`): whatever the socket must
 *   be in from its first moment (its chat rooms). `session` is announced last of all.
 * - `connect` runs once the socket is counted in the registry: presence first (the user comes
 *   online), then modals (the snapshot the client starts from).
 * - `disconnect` runs once the socket left the registry: the session's last use, presence, modals.
 */
export const LISTENER_ORDER = {
  prepare: { chatRooms: 10, announceSession: 100 },
  connect: { presence: 10, modals: 20 },
  disconnect: { sessionLastUse: 10, presence: 20, modals: 30 },
} as const;
