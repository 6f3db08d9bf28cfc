import { AsyncLocalStorage } from 'node:async_hooks';
import request from 'supertest';
import { startApp, type TestApp } from './support/app';
import { connect, registerUser } from './support/clients';

/**
 * On Node 20 one AsyncLocalStorage that is ever entered switches on promise hooks for the
 * whole process (about 12 % of a message send in `npm run bench`). Nothing in a request or a
 * socket event may enter one; nestjs-pino's request middleware did.
 */
describe('logging stays off the hot path', () => {
  let t: TestApp;
  const run = jest.spyOn(AsyncLocalStorage.prototype, 'run');
  const enterWith = jest.spyOn(AsyncLocalStorage.prototype, 'enterWith');
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    run.mockRestore();
    enterWith.mockRestore();
    await t.close();
  });

  it('serves REST requests and socket events without entering an AsyncLocalStorage', async () => {
    const alice = await registerUser(t.url);
    const bob = await registerUser(t.url);
    await request(t.url).get('/users/me').set('authorization', `Bearer ${alice.token}`).expect(200);
    await request(t.url).get('/no/such/route').expect(404);
    const socket = await connect(t.url, alice.token);
    try {
      const sent = await socket.ok('message:send', { to: bob.user.id, content: 'hi' });
      expect(sent).toMatchObject({ content: 'hi', to: bob.user.id });
    } finally {
      socket.close();
    }
    expect(run).not.toHaveBeenCalled();
    expect(enterWith).not.toHaveBeenCalled();
  });
});
