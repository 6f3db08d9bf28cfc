import { IsInt, IsOptional } from 'class-validator';
import { QueryInt } from './query-int.decorator';
import { validatePayload } from './validate-payload';

class Query {
  @IsOptional()
  @QueryInt()
  @IsInt()
  limit?: number;
}

class Payload {
  @IsOptional()
  @IsInt()
  limit?: number;
}

describe('QueryInt', () => {
  it.each([
    ['0', 0],
    ['7', 7],
    ['100', 100],
    ['123456789012345', 123456789012345],
  ])('converts the query string %p to %p', (raw, value) => {
    expect(validatePayload(Query, { limit: raw }).limit).toBe(value);
  });

  it.each(['', ' 5', '5 ', '+5', '-1', '05', '1.5', '1e1', '0x10', '0b1', 'Infinity', 'NaN', '١٢', '1234567890123456'])(
    'leaves %p for @IsInt to refuse',
    (raw) => {
      expect(() => validatePayload(Query, { limit: raw })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    },
  );

  it('refuses a repeated parameter (an array) and keeps real numbers as they are', () => {
    expect(() => validatePayload(Query, { limit: ['1', '2'] })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(validatePayload(Query, { limit: 3 }).limit).toBe(3);
  });

  it('is not what JSON payloads get: there a numeric string stays a string and is refused', () => {
    expect(() => validatePayload(Payload, { limit: '3' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
