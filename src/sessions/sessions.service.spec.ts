import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { automock } from '../testing/automock';
import { fakeSocket, fakeSocketUser as user } from '../testing/fake-socket';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

describe('SessionsService', () => {
  const setup = () => {
    const repo = automock(SessionsRepository);
    repo.insert.mockResolvedValue(undefined);
    const guard = automock(BearerAuthGuard);
    const service = new SessionsService(repo as unknown as SessionsRepository, guard as unknown as BearerAuthGuard);
    return { repo, guard, service };
  };

  it('resumes a session the repository resumes (the same user, within the TTL) and issues a new one otherwise', async () => {
    const { repo, service } = setup();
    repo.resume.mockResolvedValueOnce(true);
    expect(await service.resolve('u1', 's1')).toEqual({ sessionId: 's1', resumed: true });
    expect(repo.resume).toHaveBeenLastCalledWith('s1', 'u1', expect.any(Date), null);
    expect(repo.insert).not.toHaveBeenCalled();

    // Another user's, unknown, or past SESSION_TTL_DAYS: the repository resumes nothing.
    repo.resume.mockResolvedValueOnce(false);
    const refused = await service.resolve('u1', 's1', 'login-1');
    expect(repo.resume).toHaveBeenLastCalledWith('s1', 'u1', expect.any(Date), 'login-1');
    expect(refused.resumed).toBe(false);
    expect(refused.sessionId).not.toBe('s1');
    expect(repo.insert).toHaveBeenCalledWith(
      expect.objectContaining({ id: refused.sessionId, user_id: 'u1', connected: 1, auth_session_id: 'login-1' }),
    );

    // Nothing asked for, or an id no session can have: no resume attempted.
    expect((await service.resolve('u1')).resumed).toBe(false);
    expect((await service.resolve('u1', 'x'.repeat(65))).resumed).toBe(false);
    expect(repo.resume).toHaveBeenCalledTimes(2);
  });

  it('announces `session` to a connected socket and joins the broadcast room; a socket gone by then gets nothing', () => {
    const { service } = setup();
    const socket = fakeSocket('a', { sessionId: 's1', tokenExpiresAt: Date.parse('2030-01-01T00:00:00Z') });
    service.announce(socket);
    expect(socket.emit).toHaveBeenCalledWith('session', { sessionId: 's1', user, expiresAt: '2030-01-01T00:00:00.000Z' });
    expect(socket.join).toHaveBeenCalledWith(['authenticated', 'provider-tokens:u1']);
    const gone = fakeSocket('b', { sessionId: 's2' });
    gone.connected = false;
    service.announce(gone);
    expect(gone.emit).not.toHaveBeenCalled();
    service.onApplicationShutdown();
  });

  it('expires a connection when its token expires', async () => {
    jest.useFakeTimers();
    try {
      const { service } = setup();
      const socket = fakeSocket('a', { sessionId: 's1' });
      socket.data.tokenExpiresAt = Date.now() + 1000;
      service.announce(socket);
      jest.advanceTimersByTime(999);
      expect(socket.disconnect).not.toHaveBeenCalled();
      jest.advanceTimersByTime(2);
      expect(socket.emit).toHaveBeenCalledWith('session:expired', { reason: 'token_expired' });
      expect(socket.disconnect).toHaveBeenCalledWith(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refresh refuses a token of another user', async () => {
    const { guard, service } = setup();
    guard.authenticate.mockResolvedValue({ user: { ...user, id: 'u2' }, expiresAt: Date.now() + 1000 });
    await expect(service.refresh(fakeSocket('a', { sessionId: 's1' }), 't')).rejects.toThrow(
      expect.objectContaining({ code: 'FORBIDDEN' }),
    );
  });
});
