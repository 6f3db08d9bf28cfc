import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { FieldError } from '../../contracts';
import { AppError } from '../errors/app-error';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 8;

/**
 * Keys that could reach an object's prototype when copied onto a class instance, and keys naming
 * an Object.prototype member (`toString`, `hasOwnProperty`, …): class-validator's whitelist looks
 * fields up in a plain object, so those passed as "declared" and shadowed the DTO's methods.
 */
function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key) || Object.prototype.hasOwnProperty.call(Object.prototype, key);
}

interface Unsafe {
  field: string;
  error: string;
}

/**
 * Walks the payload for what no DTO rule should have to think about: prototype keys, nesting
 * deeper than any payload needs, and NUL characters (PostgreSQL text cannot hold them, so they
 * would surface as an internal error on one engine and be stored on the other).
 */
function findUnsafe(value: unknown, path: string, depth: number): Unsafe | undefined {
  if (typeof value === 'string') {
    return value.includes('\u0000') ? { field: path || '(root)', error: 'must not contain NUL characters' } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > MAX_DEPTH) return { field: path || '(root)', error: 'forbidden key or nesting too deep' };
  for (const key of Object.keys(value)) {
    const child = path ? `${path}.${key}` : key;
    if (isForbiddenKey(key)) return { field: child, error: 'forbidden key or nesting too deep' };
    const found = findUnsafe((value as Record<string, unknown>)[key], child, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own: FieldError[] = e.constraints ? [{ field, errors: Object.values(e.constraints) }] : [];
    return own.concat(flatten(e.children ?? [], field));
  });
}

/**
 * Validates a client payload against a DTO class: it must be a plain object, carry only
 * declared fields and satisfy every constraint. Failures are BAD_REQUEST with per-field details.
 * A missing payload counts as `{}` so events without fields can be emitted bare.
 */
export function validatePayload<T extends object>(metatype: ClassConstructor<T>, value: unknown): T {
  if (value === undefined || value === null) value = {};
  if (typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw AppError.invalid('Payload must be a JSON object', [{ field: '(root)', errors: ['must be an object'] }]);
  }
  const unsafe = findUnsafe(value, '', 0);
  if (unsafe) {
    throw AppError.invalid(`Invalid payload: ${unsafe.field}: ${unsafe.error}`, [{ field: unsafe.field, errors: [unsafe.error] }]);
  }
  const instance = plainToInstance(metatype, value);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length) {
    const details = flatten(errors);
    const summary = details.map((d) => `${d.field}: ${d.errors[0]}`).join('; ');
    throw AppError.invalid(`Invalid payload: ${summary}`.slice(0, 500), details);
  }
  return instance;
}
