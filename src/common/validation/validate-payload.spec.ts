import { IsInt, IsOptional, IsString, Length } from 'class-validator';
import { AppError } from '../errors/app-error';
import { validatePayload } from './validate-payload';

class SampleDto {
  @IsString() @Length(1, 5) name: string;
  @IsOptional() @IsInt() count?: number;
}

function failure(value: unknown): AppError {
  try {
    validatePayload(SampleDto, value);
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected validation to fail');
}

describe('validatePayload', () => {
  it('returns a DTO instance for a valid payload', () => {
    const dto = validatePayload(SampleDto, { name: 'abc', count: 2 });
    expect(dto).toBeInstanceOf(SampleDto);
    expect(dto).toEqual({ name: 'abc', count: 2 });
  });

  it('lists each bad field', () => {
    const error = failure({ name: '', count: 'x' });
    expect(error.code).toBe('BAD_REQUEST');
    const fields = (error.details as { field: string }[]).map((d) => d.field).sort();
    expect(fields).toEqual(['count', 'name']);
  });

  it('rejects unknown fields', () => {
    const error = failure({ name: 'a', from: 'someone-else' });
    expect(error.details).toEqual([{ field: 'from', errors: [expect.stringContaining('should not exist')] }]);
  });

  it.each([['a string'], [42], [[{ name: 'a' }]], [true]])('rejects the non-object %p', (value) => {
    expect(failure(value).message).toBe('Payload must be a JSON object');
  });

  it('rejects prototype keys at any depth', () => {
    expect(failure(JSON.parse('{"name":"a","__proto__":{"admin":true}}')).code).toBe('BAD_REQUEST');
    expect(failure({ name: 'a', nested: { constructor: { prototype: {} } } }).code).toBe('BAD_REQUEST');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it.each(['toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'])(
    'rejects the Object.prototype member name %p as a field',
    (key) => {
      const error = failure({ name: 'a', [key]: 'x' });
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.details).toEqual([{ field: key, errors: [expect.any(String)] }]);
    },
  );

  it('rejects NUL characters in any string, which PostgreSQL text cannot store', () => {
    const error = failure({ name: 'a\u0000b' });
    expect(error.details).toEqual([{ field: 'name', errors: ['must not contain NUL characters'] }]);
  });

  it('rejects absurdly deep nesting without recursing forever', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 10_000; i++) deep = deep.a = {};
    expect(failure({ name: 'a', x: root }).code).toBe('BAD_REQUEST');
  });
});
