import request from 'supertest';
import type { AuthResult } from '../src/contracts';
import { Cluster } from './support/cluster';
import { ClientTracker, connectError, uniqueUsername } from './support/clients';

const PASSWORD = 'correct horse battery';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Two instances (PostgreSQL + Redis): an ended session is refused and disconnected on both. */
describe('sessions across instances', () => {
  let cluster: Cluster | undefined;
  let urls: string[] = [];
  const clients = new ClientTracker();
  const secrets: string[] = [];

  beforeAll(async () => {
    // Debug logging: the most a deployment logs, none of which may hold a token.
    cluster = await Cluster.start(2, { LOG_LEVEL: 'debug' });
    urls = cluster?.instances.map((i) => i.url) ?? [];
  }, 60000);
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    clients.closeAll();
    await cluster?.stop();
  }, 30000);

  const login = async (url: string, username: string): Promise<AuthResult> => {
    const body = (await request(url).post('/auth/login').send({ username, password: PASSWORD }).expect(200)).body as AuthResult;
    secrets.push(body.accessToken, body.refreshToken);
    return body;
  };

  it('a logout on one instance is refused and disconnected on the other; other sessions stay', async () => {
    if (!cluster) return;
    const [a, b] = urls;
    const username = uniqueUsername();
    await request(a).post('/auth/register').send({ username, password: PASSWORD }).expect(201);
    const [ending, staying] = [await login(a, username), await login(b, username)];
    const endingOnB = await clients.at(b).connect(ending.accessToken);
    const endingOnA = await clients.at(a).connect(ending.accessToken);
    const stayingOnB = await clients.at(b).connect(staying.accessToken);

    await request(a).post('/auth/logout').set(bearer(ending.accessToken)).send({}).expect(204);
    expect(await endingOnB.waitFor('session:expired')).toEqual({ reason: 'logout' });
    expect(await endingOnA.waitFor('session:expired')).toEqual({ reason: 'logout' });
    await request(b).get('/users/me').set(bearer(ending.accessToken)).expect(401);
    expect(await connectError(b, { auth: { token: ending.accessToken } })).toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    expect(await stayingOnB.request('session:refresh', { token: ending.accessToken })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHORIZED' },
    });
    await request(b).post('/auth/refresh').send({ refreshToken: ending.refreshToken }).expect(401);

    await stayingOnB.ok('session:refresh', { token: staying.accessToken });
    expect(stayingOnB.all('session:expired')).toEqual([]);
    await request(a).get('/users/me').set(bearer(staying.accessToken)).expect(200);
  });

  it('a refresh token reused on another instance ends its family everywhere', async () => {
    if (!cluster) return;
    const [a, b] = urls;
    const username = uniqueUsername();
    await request(b).post('/auth/register').send({ username, password: PASSWORD }).expect(201);
    const first = await login(a, username);
    const socket = await clients.at(a).connect(first.accessToken);
    const rotated = (await request(a).post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200)).body as AuthResult;
    secrets.push(rotated.accessToken, rotated.refreshToken);
    await request(b).post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(401);
    expect(await socket.waitFor('session:expired')).toEqual({ reason: 'revoked' });
    await request(a).get('/users/me').set(bearer(rotated.accessToken)).expect(401);
  });

  it('logs no token', () => {
    if (!cluster) return;
    const logs = cluster.instances.map((i) => i.process.output()).join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
