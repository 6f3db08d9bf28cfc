import type { AppServer } from '../socket.types';

/**
 * Multi-instance: RealtimeService.join/leave move this instance's sockets at once and tell the
 * other instances with a server-side emit, which the adapter never delivers back to its sender.
 * (socketsJoin/socketsLeave on the whole cluster would come back to this instance too, one Redis
 * round trip later: a join coming back after a later leave would put the sockets back in the room
 * until that leave came back as well.) This is where an instance applies what another one sent,
 * and answers `othersCaughtUp`: one instance's publications arrive in order, so by the time the
 * request is answered, everything published before it has been applied.
 */
export function applySocketMovesFromOtherInstances(server: AppServer): void {
  server.on('sockets:join', (of, rooms) => server.local.in(of).socketsJoin(rooms));
  server.on('sockets:leave', (of, rooms) => server.local.in(of).socketsLeave(rooms));
  server.on('sockets:caught-up', (done) => done(true));
}
