import type { User } from '../contracts';
import { AccessService } from '../access/access.service';
import { AppError } from '../common/errors/app-error';
import { loadConfig } from '../config/app-config';
import { GracePeriods } from '../realtime/grace/grace-periods';
import { InMemoryGraceDeadlines } from '../realtime/grace/in-memory-grace-deadlines';
import { RealtimeService } from '../realtime/realtime.service';
import { automock } from '../testing/automock';
import { TypingService } from './typing.service';

const alice: User = { id: 'a', username: 'alice', displayName: 'Alice', createdAt: 't' };

/** Instances of the service sharing one set of deadlines, as two instances share Redis. */
function setup(deadlines = new InMemoryGraceDeadlines()) {
  // The access rules have specs of their own: here only whom they let through matters.
  const access = automock(AccessService);
  access.requireMayMessage.mockImplementation(async (_from, id) => {
    if (id !== 'b' && id !== 'c') throw AppError.of('USER_NOT_FOUND');
    return id;
  });
  access.isBlocked.mockImplementation(async (blocker, user) => blocker === 'a' && user === 'c');
  access.blockedBy.mockResolvedValue(['c']);
  const realtime = automock(RealtimeService);
  realtime.emit.mockReturnValue(undefined);
  const grace = new GracePeriods(deadlines, loadConfig({}));
  const service = new TypingService(access as unknown as AccessService, realtime as unknown as RealtimeService, grace, 5000);
  return { service, access, realtime, grace, deadlines };
}

const dm = (isTyping: boolean) => ['user:b', 'typing', { conversationId: 'dm:a:b', userId: 'a', isTyping }, ['user:a']];

describe('TypingService', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('relays to the peer but not the typist, and expires after 5 s without a refresh', async () => {
    const { service, realtime } = setup();
    await service.typing(alice, { to: 'b', isTyping: true });
    expect(realtime.emit).toHaveBeenLastCalledWith(...dm(true));
    await jest.advanceTimersByTimeAsync(4000);
    await service.typing(alice, { to: 'b', isTyping: true }); // refresh
    await jest.advanceTimersByTimeAsync(4000);
    expect(realtime.emit).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(1000);
    expect(realtime.emit).toHaveBeenCalledTimes(3);
    expect(realtime.emit).toHaveBeenLastCalledWith(...dm(false));
    expect(service.pending).toBe(0);
  });

  it('a refresh on another instance moves the expiry: the first instance’s timer says nothing', async () => {
    const shared = new InMemoryGraceDeadlines();
    const one = setup(shared);
    const two = setup(shared);
    await one.service.typing(alice, { to: 'b', isTyping: true });
    await jest.advanceTimersByTimeAsync(3000);
    await two.service.typing(alice, { to: 'b', isTyping: true });
    await jest.advanceTimersByTimeAsync(2500); // instance one's timer fired: not due any more
    expect(one.realtime.emit).toHaveBeenCalledTimes(1);
    expect(two.realtime.emit).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(2500);
    expect(two.realtime.emit).toHaveBeenLastCalledWith(...dm(false));
    expect(one.realtime.emit).toHaveBeenCalledTimes(1);
  });

  it('an explicit stop cancels the expiry', async () => {
    const { service, realtime } = setup();
    await service.typing(alice, { to: 'b', isTyping: true });
    await service.typing(alice, { to: 'b', isTyping: false });
    expect(service.pending).toBe(0);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(realtime.emit).toHaveBeenCalledTimes(2);
  });

  it('leaves out the users the typist blocked', async () => {
    const { service, access, realtime } = setup();
    await service.typing(alice, { to: 'c', isTyping: true });
    expect(realtime.emit).not.toHaveBeenCalled();
    access.requireRoomMember.mockResolvedValueOnce('member');
    await service.typing(alice, { roomId: 'r', isTyping: true });
    expect(realtime.emit).toHaveBeenCalledWith('room:r', 'typing', { conversationId: 'room:r', userId: 'a', isTyping: true }, [
      'user:a',
      'user:c',
    ]);
  });

  it('needs room membership and stops its timers on shutdown', async () => {
    const { service, access, realtime, grace } = setup();
    access.requireRoomMember
      .mockRejectedValueOnce(AppError.of('NOT_A_MEMBER', 'Only members may type in this room'))
      .mockResolvedValueOnce('member');
    await expect(service.typing(alice, { roomId: 'r', isTyping: true })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(service.typing(alice, { to: 'ghost', isTyping: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await service.typing(alice, { roomId: 'r', isTyping: true });
    expect(realtime.emit).toHaveBeenCalledTimes(1);
    grace.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(realtime.emit).toHaveBeenCalledTimes(1);
  });
});
