import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows a burst, then refuses with the wait until the next token', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(50)).toBe(50);
  });

  it('refills at the configured rate up to the burst', () => {
    const bucket = new TokenBucket(10, 3, 0);
    for (let i = 0; i < 3; i++) bucket.take(0);
    expect(bucket.take(0)).toBeGreaterThan(0);
    expect(bucket.take(100)).toBe(0);
    // A long pause refills only up to the burst.
    for (let i = 0; i < 3; i++) expect(bucket.take(10_000)).toBe(0);
    expect(bucket.take(10_000)).toBeGreaterThan(0);
  });

  it('takes back a token another limit refused, never above the burst', () => {
    const bucket = new TokenBucket(10, 2, 0);
    bucket.take(0);
    bucket.take(0);
    expect(bucket.take(0)).toBe(100);
    bucket.giveBack();
    expect(bucket.take(0)).toBe(0);
    bucket.giveBack();
    bucket.giveBack();
    bucket.giveBack();
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 100]);
  });
});
