import type { User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import type { RealtimeService } from '../realtime/realtime.service';
import type { UsersService } from '../users/users.service';
import type { RoomsRepository } from './rooms.repository';
import { TypingService } from './typing.service';

const alice: User = { id: 'a', username: 'alice', displayName: 'Alice', createdAt: 't' };

function setup() {
  const rooms = { requireMember: jest.fn() };
  const users = { findById: jest.fn(async (id: string) => (id === 'b' ? { id } : undefined)) };
  const realtime = { emit: jest.fn() };
  const service = new TypingService(
    rooms as unknown as RoomsRepository,
    users as unknown as UsersService,
    realtime as unknown as RealtimeService,
    5000,
  );
  return { service, rooms, realtime };
}

describe('TypingService', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('relays to the peer but not the typist, and expires after 5 s without a refresh', async () => {
    const { service, realtime } = setup();
    await service.typing(alice, { to: 'b', isTyping: true });
    expect(realtime.emit).toHaveBeenLastCalledWith('user:b', 'typing', { conversationId: 'dm:a:b', userId: 'a', isTyping: true }, 'user:a');
    jest.advanceTimersByTime(4000);
    await service.typing(alice, { to: 'b', isTyping: true }); // refresh
    jest.advanceTimersByTime(4000);
    expect(realtime.emit).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(1000);
    expect(realtime.emit).toHaveBeenCalledTimes(3);
    expect(realtime.emit).toHaveBeenLastCalledWith(
      'user:b',
      'typing',
      { conversationId: 'dm:a:b', userId: 'a', isTyping: false },
      'user:a',
    );
    expect(service.pending).toBe(0);
  });

  it('an explicit stop cancels the expiry', async () => {
    const { service, realtime } = setup();
    await service.typing(alice, { to: 'b', isTyping: true });
    await service.typing(alice, { to: 'b', isTyping: false });
    expect(service.pending).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(realtime.emit).toHaveBeenCalledTimes(2);
  });

  it('needs room membership and clears its timers on shutdown', async () => {
    const { service, rooms, realtime } = setup();
    rooms.requireMember
      .mockRejectedValueOnce(new AppError('FORBIDDEN', 'Only members may type in this room'))
      .mockResolvedValueOnce('member');
    await expect(service.typing(alice, { roomId: 'r', isTyping: true })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(service.typing(alice, { to: 'ghost', isTyping: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await service.typing(alice, { roomId: 'r', isTyping: true });
    expect(realtime.emit).toHaveBeenCalledWith('room:r', 'typing', { conversationId: 'room:r', userId: 'a', isTyping: true }, 'user:a');
    service.onApplicationShutdown();
    expect(service.pending).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(realtime.emit).toHaveBeenCalledTimes(1);
  });
});
