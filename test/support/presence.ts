import type { Presence } from '../../src/contracts';
import { startApp, type StartOptions, type TestApp } from './app';
import { connect, registerUser, type ConnectOptions, type TestClient, type TestUser } from './clients';

/** The grace period presence and modal e2e apps run with: short, with room for a busy machine. */
export const GRACE_MS = 300;
/** Comfortably longer than GRACE_MS, for "after the grace period" waits. */
export const AFTER_GRACE_MS = 1500;

/** An app with a short presence grace and rate limits out of the way of bursts of test requests. */
export function startPresenceApp(options: StartOptions = {}): Promise<TestApp> {
  return startApp({
    ...options,
    env: {
      PRESENCE_GRACE_MS: String(GRACE_MS),
      RATE_LIMIT_EVENTS_PER_SEC: '10000',
      RATE_LIMIT_BURST: '10000',
      RATE_LIMIT_USER_EVENTS_PER_SEC: '10000',
      RATE_LIMIT_USER_BURST: '10000',
      ...options.env,
    },
  });
}

export interface SignedIn extends TestUser {
  client: TestClient;
  sessionId: string;
}

/** Tracks clients so `closeAll` in afterEach leaves nothing connected. */
export class Clients {
  private readonly open: TestClient[] = [];

  async user(t: TestApp): Promise<TestUser> {
    return registerUser(t.url);
  }

  /** Connects (another tab of) `who`. */
  async connect(t: TestApp, who: TestUser, options: ConnectOptions = {}): Promise<SignedIn> {
    const client = await connect(t.url, who.token, options);
    this.open.push(client);
    const { sessionId } = await client.waitFor('session');
    await untilCounted(client, who.user.id);
    return { ...who, client, sessionId };
  }

  /** A new user with one connected tab. */
  async signIn(t: TestApp): Promise<SignedIn> {
    return this.connect(t, await this.user(t));
  }

  closeAll(): void {
    this.open.splice(0).forEach((c) => c.close());
  }
}

/** `presence:update`s about `userId` received by `client`. */
export function updatesAbout(client: TestClient, userId: string): Presence[] {
  return client.all('presence:update').filter((p) => p.userId === userId);
}

/**
 * Presence is announced by a connect listener that runs after `session`; with the Redis stores
 * that takes a few Redis round trips. Waits until the user shows as connected to themselves, then
 * one more round trip, so a test's next step does not race the announcement.
 */
async function untilCounted(client: TestClient, userId: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const ack = await client.request('presence:list', { userIds: [userId] });
    if (!ack.ok) return; // e.g. a rate-limit test: nothing to wait for
    if ((ack.data.users[0]?.connections ?? 0) > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await client.request('presence:list', { userIds: [userId] });
}
