import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { automock } from '../testing/automock';
import { fakeSocket, fakeSocketUser as user } from '../testing/fake-socket';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

describe('SessionsService', () => {
  const setup = () => {
    const repo = automock(SessionsRepository);
    repo.touch.mockResolvedValue(undefined);
    repo.insert.mockResolvedValue(undefined);
    const guard = automock(BearerAuthGuard);
    const service = new SessionsService(repo as unknown as SessionsRepository, guard as unknown as BearerAuthGuard);
    return { repo, guard, service };
  };

  it('resumes a session of the same user and issues a new one otherwise', async () => {
    const { repo, service } = setup();
    repo.findResumable.mockResolvedValueOnce({
      id: 's1',
      user_id: 'u1',
      created_at: 'x',
      last_seen_at: 'x',
      connected: 0,
      auth_session_id: null,
    });
    expect(await service.resolve('u1', 's1')).toEqual({ sessionId: 's1', resumed: true });
    expect(repo.touch).toHaveBeenCalledWith('s1', expect.any(String), true, null);

    repo.findResumable.mockResolvedValueOnce({
      id: 's1',
      user_id: 'someone-else',
      created_at: 'x',
      last_seen_at: 'x',
      connected: 0,
      auth_session_id: null,
    });
    const foreign = await service.resolve('u1', 's1');
    expect(foreign.resumed).toBe(false);
    expect(foreign.sessionId).not.toBe('s1');
    expect(repo.insert).toHaveBeenCalledWith(expect.objectContaining({ id: foreign.sessionId, user_id: 'u1', connected: 1 }));

    // Unknown, or past SESSION_TTL_DAYS: the repository finds nothing resumable.
    repo.findResumable.mockResolvedValueOnce(undefined);
    expect((await service.resolve('u1', 's-expired')).resumed).toBe(false);

    const fresh = await service.resolve('u1');
    expect(fresh.resumed).toBe(false);
    expect(repo.findResumable).toHaveBeenCalledTimes(3);
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
