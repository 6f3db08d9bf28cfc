import type { FieldError } from '../../contracts';
import { AppError } from '../../common/errors/app-error';

/**
 * `conversation:list` takes no fields. class-validator refuses a class without constraints
 * (forbidUnknownValues), so the empty payload is checked here, with the same error shape:
 * a missing payload or `{}` passes, anything else is BAD_REQUEST.
 */
export function requireEmptyPayload(value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    const details: FieldError[] = [{ field: '(root)', errors: ['must be an object'] }];
    throw AppError.badRequest('Payload must be a JSON object', details);
  }
  const keys = Object.keys(value);
  if (keys.length) {
    const details: FieldError[] = keys.slice(0, 20).map((field) => ({ field, errors: [`property ${field} should not exist`] }));
    throw AppError.badRequest(`Invalid payload: ${details[0].field}: ${details[0].errors[0]}`, details);
  }
}
