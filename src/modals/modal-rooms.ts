/**
 * socket.io rooms of modal watches: a socket in `modal-watch:<id>` receives that modal's events,
 * one in `modal-prefix:<p>` those of every modal whose id starts with `p`. An event about a modal
 * goes to its id room and to the room of each of its id's prefixes (at most 128, the id's
 * length): the cost is a room lookup per prefix, whatever the number of users, and with the Redis
 * adapter the same rooms reach the watchers on every instance without a shared registry.
 */
export const modalRooms = {
  id: (modalId: string) => `modal-watch:${modalId}`,
  prefix: (prefix: string) => `modal-prefix:${prefix}`,
  isWatchRoom: (room: string) => room.startsWith('modal-watch:') || room.startsWith('modal-prefix:'),
  /** Every room whose members watch `modalId`. */
  watching(modalId: string): string[] {
    const names = [modalRooms.id(modalId)];
    for (let length = 1; length <= modalId.length; length += 1) names.push(modalRooms.prefix(modalId.slice(0, length)));
    return names;
  },
} as const;
