import { EventEmitter } from 'node:events';
import { applySocketMovesFromOtherInstances } from './socket-moves';
import type { AppServer } from '../socket.types';

describe('applySocketMovesFromOtherInstances', () => {
  function setup() {
    const moves: string[] = [];
    const server = Object.assign(new EventEmitter(), {
      local: {
        in: (of: string) => ({
          socketsJoin: (rooms: string) => moves.push(`join ${of} ${rooms}`),
          socketsLeave: (rooms: string) => moves.push(`leave ${of} ${rooms}`),
        }),
      },
    });
    applySocketMovesFromOtherInstances(server as unknown as AppServer);
    return { server, moves };
  }

  it("moves this instance's sockets as another instance asked, in the order asked", () => {
    const { server, moves } = setup();
    server.emit('sockets:join', 'user:a', 'room:r');
    server.emit('sockets:leave', 'user:a', 'room:r');
    expect(moves).toEqual(['join user:a room:r', 'leave user:a room:r']);
  });

  it('answers a caught-up request at once (what was published before it has been applied by then)', () => {
    const { server, moves } = setup();
    const done = jest.fn();
    server.emit('sockets:caught-up', done);
    expect(done).toHaveBeenCalledWith(true);
    expect(moves).toEqual([]);
  });
});
