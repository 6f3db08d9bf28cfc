/**
 * A tiny deterministic payload generator for the hardening fuzz suite: the same seed gives the
 * same payloads, so a failure is replayed with `FUZZ_SEED=<seed>`. No dependency on purpose.
 */

/** mulberry32: 32-bit state, good enough spread for picking test cases. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Seed from FUZZ_SEED (decimal or 0x…), else a fixed default so CI runs are reproducible. */
export function fuzzSeed(defaultSeed = 0x5eed_2024): number {
  const raw = process.env.FUZZ_SEED;
  if (!raw) return defaultSeed;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`FUZZ_SEED must be a number (got "${raw}")`);
  return value >>> 0;
}

/** Strings that trip naive handling of text: surrogates, direction marks, invisible characters. */
export const UNICODE_EDGE_STRINGS: readonly string[] = [
  '\ud800', // lone high surrogate
  'a\udc00b', // lone low surrogate
  '\udbff\udfff', // last code point (valid pair)
  '\u202eevil\u202c', // right-to-left override
  'שלום עולם', // RTL script
  'مرحبا\u200f', // Arabic + RTL mark
  '\u200b', // zero-width space only
  'a\u200d\u200cb', // zero-width joiner / non-joiner
  '\ufeff', // BOM
  '👩‍👩‍👧‍👦', // ZWJ emoji sequence
  '🏳️‍🌈🇺🇳', // flags
  'e\u0301\u0301\u0301\u0301\u0301\u0301', // stacked combining marks
  '\u0000', // NUL
  'line\r\nbreak\u2028sep\u2029',
  '\t \n ', // whitespace only
  '%s%n%x{0}${x}',
  "'; drop table messages; --",
  '<script>alert(1)</script>',
  '../../../etc/passwd',
  'ℌ𝔢𝔩𝔩𝔬',
  '\uffff\ufffe',
  'dm:a:b',
  'room:',
];

/** Numbers and number-ish strings (JSON carries NaN/Infinity as null, so strings stand in for them). */
export const NUMBERISH: readonly unknown[] = [
  0,
  -0,
  -1,
  1.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER,
  2 ** 31,
  NaN,
  Infinity,
  'NaN',
  '-0',
  '1e309',
  'Infinity',
  '0x10',
  ' 1 ',
  '99999999999999999999999999',
  '1',
  '',
];

/** Values of every JSON/socket.io type, for "wrong type" substitutions. */
export const WRONG_TYPES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  42,
  'string',
  [],
  ['a', 'b'],
  [[[]]],
  {},
  { nested: { a: 1 } },
  [{ a: 1 }],
  Buffer.from('binary'),
];

const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

export function deepNest(depth: number, leaf: unknown = 'x'): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

export function deepArray(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** One value of some wrong or odd kind, for a field or as a whole payload. */
export function oddValue(rng: Rng, hugeChars: number): unknown {
  switch (rng.int(0, 7)) {
    case 0:
    case 1:
      return rng.pick(WRONG_TYPES);
    case 2:
    case 3:
      return rng.pick(NUMBERISH);
    case 4:
      return rng.pick(UNICODE_EDGE_STRINGS);
    case 5:
      return rng.pick(UNICODE_EDGE_STRINGS).repeat(rng.int(1, 40));
    case 6:
      return 'x'.repeat(rng.int(65, Math.max(66, hugeChars)));
    default:
      return rng.chance(0.5) ? deepNest(rng.int(2, 60)) : deepArray(rng.int(2, 60));
  }
}

/**
 * How a payload was made, which decides what the server may answer:
 * - `invalid`: definitely breaks the contract (not an object, unknown or prototype key, a required
 *   field missing or of an impossible type): the answer must be BAD_REQUEST;
 * - `maybe`: odd but possibly acceptable (unicode in a string field, a coercible number, an
 *   empty payload for an event without required fields): any well-formed answer except INTERNAL.
 */
export type Verdict = 'invalid' | 'maybe';

export interface FuzzCase {
  payload: unknown;
  verdict: Verdict;
  strategy: string;
}

/** What the generator needs to know about an event's payload. */
export interface PayloadSpec {
  /** A valid payload to mutate. */
  base: Record<string, unknown>;
  /** Fields the event cannot do without. */
  required: readonly string[];
}

/** One generated bad (or odd) payload for an event with `spec`. */
export function fuzzCase(rng: Rng, spec: PayloadSpec, hugeChars: number): FuzzCase {
  const fields = Object.keys(spec.base);
  const strategies = [
    'non-object',
    'extra-field',
    'forbidden-key',
    'deep-nesting',
    ...(spec.required.length ? ['missing-required', 'required-wrong-type'] : []),
    ...(fields.length ? ['field-odd-value', 'field-odd-value', 'field-unicode', 'field-numberish'] : []),
    'empty',
  ];
  const strategy = rng.pick(strategies);
  const base = (): Record<string, unknown> => ({ ...spec.base });
  switch (strategy) {
    case 'non-object': {
      const payload = rng.pick<unknown>([
        'a string',
        rng.pick(UNICODE_EDGE_STRINGS),
        0,
        -0,
        1e308,
        true,
        false,
        [],
        [spec.base],
        [1, 2, 3],
        deepArray(rng.int(1, 200)),
        Buffer.from([0, 1, 2, 255]),
        'x'.repeat(rng.int(1, hugeChars)),
      ]);
      return { payload, verdict: 'invalid', strategy };
    }
    case 'extra-field': {
      const payload = base();
      const names = [
        'from',
        'userId',
        'sender',
        'admin',
        'isAdmin',
        'role',
        'id',
        'x',
        'toString',
        'hasOwnProperty',
        'valueOf',
        '',
        ' ',
        '💥',
      ];
      const name = rng.pick(names.filter((n) => !Object.hasOwn(payload, n)));
      payload[name] = oddValue(rng, hugeChars);
      return { payload, verdict: 'invalid', strategy };
    }
    case 'forbidden-key': {
      const key = rng.pick(FORBIDDEN_KEYS);
      const inner = `{"${key}":{"polluted":true,"isAdmin":true}}`;
      // JSON.parse keeps `__proto__` as an own key, like the server's parser sees it on the wire.
      const json = rng.chance(0.5)
        ? `{${JSON.stringify(base()).slice(1, -1)}${fields.length ? ',' : ''}"${key}":{"polluted":true}}`
        : `{${JSON.stringify(base()).slice(1, -1)}${fields.length ? ',' : ''}"nested":${inner}}`;
      return { payload: JSON.parse(json), verdict: 'invalid', strategy };
    }
    case 'deep-nesting': {
      const payload = base();
      payload[rng.chance(0.5) && fields.length ? rng.pick(fields) : 'deep'] = rng.chance(0.5)
        ? deepNest(rng.int(9, 3000))
        : deepArray(rng.int(9, 3000));
      return { payload, verdict: 'invalid', strategy };
    }
    case 'missing-required': {
      const payload = base();
      delete payload[rng.pick(spec.required)];
      return { payload, verdict: 'invalid', strategy };
    }
    case 'required-wrong-type': {
      const payload = base();
      const field = rng.pick(spec.required);
      // Objects and arrays never pass for a scalar field (numbers coerce, so they are "maybe").
      payload[field] = rng.pick<unknown>([{}, { a: 1 }, [[]], ['x', { y: 2 }], deepNest(3)]);
      return { payload, verdict: 'invalid', strategy };
    }
    case 'field-odd-value': {
      const payload = base();
      payload[rng.pick(fields)] = oddValue(rng, hugeChars);
      return { payload, verdict: 'maybe', strategy };
    }
    case 'field-unicode': {
      const payload = base();
      payload[rng.pick(fields)] = rng.pick(UNICODE_EDGE_STRINGS) + (rng.chance(0.5) ? rng.pick(UNICODE_EDGE_STRINGS) : '');
      return { payload, verdict: 'maybe', strategy };
    }
    case 'field-numberish': {
      const payload = base();
      payload[rng.pick(fields)] = rng.pick(NUMBERISH);
      return { payload, verdict: 'maybe', strategy };
    }
    default:
      return { payload: rng.pick([undefined, null, {}]), verdict: 'maybe', strategy: 'empty' };
  }
}

/**
 * Raw socket.io packets written straight to the engine.io transport, past the client library's
 * own checks: malformed JSON, non-string event names, reserved event names, absurd ack ids.
 */
export const RAW_PACKETS: readonly string[] = [
  '2',
  '2[',
  '2{}',
  '2"message:send"',
  '2[]',
  '2[123,{}]',
  '2[null]',
  '2[{"event":"message:send"}]',
  '2["message:send",{"content":1e309,"to":"x"}]',
  '2["message:history",{"conversationId":"dm:a:b","before":1e400}]',
  '2["message:read",{"conversationId":"dm:a:b","seq":-0}]',
  '2["message:send",{"__proto__":{"admin":true},"content":"x","to":"y"}]',
  '2["disconnect"]',
  '2["disconnecting"]',
  '2["connect"]',
  '2["error",{"message":"x"}]',
  '2["newListener","message:send"]',
  '2["removeListener","message:send"]',
  '2["__proto__"]',
  '2["constructor",{}]',
  '2["toString"]',
  '299999999999999999999999["conversation:list",{}]',
  '2-1["conversation:list",{}]',
  '21e3["conversation:list",{}]',
  '3123["fake ack"]',
  '3["ack without id"]',
  '51-["message:send",{"_placeholder":true,"num":0}]',
  '51-["message:send",{"_placeholder":true,"num":99}]',
  '1',
  '0{"token":"x"}',
  '4{"message":"client error"}',
  '6',
  '9["unknown packet type"]',
  '2/admin,["conversation:list",{}]',
  '2/nonexistent,["x"]',
];
