// The Redis helpers live in src/testing (the unit specs' store suites need them, and src never
// imports from test/); the e2e specs keep importing them from here.
export { redisAvailable, TEST_REDIS_URL, testRedisPrefix } from '../../src/testing/redis';

/** `TEST_REDIS=1` runs the e2e apps with REDIS_URL set (multi-instance mode). */
export const E2E_WITH_REDIS = process.env.TEST_REDIS === '1';
