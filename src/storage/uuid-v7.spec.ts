import { uuidV7 } from './uuid-v7';

describe('uuidV7', () => {
  it('is an RFC 9562 version 7 UUID carrying the time in its first 48 bits', () => {
    const at = Date.UTC(2026, 11, 1, 9, 0, 0, 123);
    const id = uuidV7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts by creation time and is unique within a millisecond', () => {
    const earlier = uuidV7(1_000);
    const later = Array.from({ length: 1000 }, () => uuidV7(2_000));
    expect(later.every((id) => id > earlier)).toBe(true);
    expect(new Set(later).size).toBe(1000);
  });
});
