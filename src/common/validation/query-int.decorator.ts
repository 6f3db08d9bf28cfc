import { Transform } from 'class-transformer';

/** A decimal integer as a query string carries it: no sign, no leading zeros, no exponent or hex, at most 15 digits. */
const DECIMAL = /^(0|[1-9]\d{0,14})$/;

/**
 * For REST query classes only: query strings are strings by nature, so a field that is an
 * integer is converted here, strictly. Anything but plain decimal digits ("0x10", "1e1", "",
 * " 5", a repeated parameter) is left as it is and fails the field's `@IsInt()`. Socket.io
 * payloads are JSON and never use this: a number must arrive there as a number.
 */
export function QueryInt(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value));
}
