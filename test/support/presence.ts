import type { Presence } from '../../src/contracts';
import { startApp, type StartOptions, type TestApp } from './app';
import type { TestClient } from './clients';

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

/** `presence:update`s about `userId` received by `client`. */
export function updatesAbout(client: TestClient, userId: string): Presence[] {
  return client.all('presence:update').filter((p) => p.userId === userId);
}
