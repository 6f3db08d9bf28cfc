import type { User } from '../contracts';
import { AccessService } from '../access/access.service';
import { AppError } from '../common/errors/app-error';
import { RealtimeService } from '../realtime/realtime.service';
import { automock } from '../testing/automock';
import { TypingService } from './typing.service';

const alice: User = { id: 'a', username: 'alice', displayName: 'Alice', createdAt: 't' };

function setup() {
  // The access rules have specs of their own: here only whom they let through matters.
  const access = automock(AccessService);
  access.requireUser.mockImplementation(async (id) => {
    if (id !== 'b') throw AppError.of('USER_NOT_FOUND');
    return id;
  });
  const realtime = automock(RealtimeService);
  realtime.emit.mockReturnValue(undefined);
  const service = new TypingService(access as unknown as AccessService, realtime as unknown as RealtimeService, 5000);
  return { service, access, realtime };
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
    const { service, access, realtime } = setup();
    access.requireRoomMember
      .mockRejectedValueOnce(AppError.of('NOT_A_MEMBER', 'Only members may type in this room'))
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
