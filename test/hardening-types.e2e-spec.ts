import request from 'supertest';
import type { ClientEventName, FieldError, JsonSchema } from '../src/contracts';
import { dmConversationId } from '../src/access/conversation-id';
import { documentedPayloads, payloadSchema } from './support/contract';
import { startApp, type TestApp } from './support/app';
import { connect, registerUser, type TestClient, type TestUser } from './support/clients';

/**
 * Strict types (Hardening II §8): socket.io payloads are JSON, so a number must arrive as a number
 * and a boolean as a boolean; nothing is coerced. The fields come from each event's documented
 * payload schema (built from the DTOs the gateways validate with), so a new event or field is
 * covered without touching this file. REST query strings are strings by nature and are converted
 * strictly: only plain decimal digits become a number.
 */
type Kind = 'integer' | 'number' | 'boolean';

interface TypedField {
  event: ClientEventName;
  field: string;
  kind: Kind;
  /** An array of such values rather than one. */
  array: boolean;
  schema: JsonSchema;
}

const WRONG: Record<Kind, unknown[]> = {
  integer: ['1', '0x10', true, 1.5],
  number: ['1', '0x10', true],
  boolean: ['true', 1, 'false'],
};
/** What class-validator's type constraints say, per kind. */
const TYPE_ERROR: Record<Kind, RegExp> = { integer: /integer/, number: /number/, boolean: /boolean/ };

const kindOf = (schema: JsonSchema | undefined): Kind | undefined =>
  schema?.type === 'integer' || schema?.type === 'number' || schema?.type === 'boolean' ? schema.type : undefined;

function typedFields(): TypedField[] {
  const fields: TypedField[] = [];
  for (const event of documentedPayloads()) {
    for (const [field, schema] of Object.entries(payloadSchema(event).properties ?? {})) {
      const own = kindOf(schema);
      const item = schema.type === 'array' ? kindOf(schema.items) : undefined;
      if (own) fields.push({ event, field, kind: own, array: false, schema });
      else if (item) fields.push({ event, field, kind: item, array: true, schema: schema.items! });
    }
  }
  return fields;
}

/** A value the schema accepts, for the required fields around the one under test. */
function sample(schema: JsonSchema): unknown {
  if (schema.enum?.length) return schema.enum[0];
  if (schema.oneOf?.length) return sample(schema.oneOf[0]);
  switch (schema.type) {
    case 'integer':
    case 'number':
      return schema.minimum ?? 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
  }
}

/** The event's required fields with accepted values, and `field` set to `value`. */
function payloadWith(f: TypedField, value: unknown): Record<string, unknown> {
  const schema = payloadSchema(f.event);
  const payload: Record<string, unknown> = {};
  for (const name of schema.required ?? []) payload[name] = sample(schema.properties![name]);
  payload[f.field] = f.array ? [value] : value;
  return payload;
}

const FIELDS = typedFields();

describe('hardening: strict types on every event and REST query', () => {
  let t: TestApp;
  let me: TestUser;
  let peer: TestUser;
  let client: TestClient;

  beforeAll(async () => {
    t = await startApp({ env: { RATE_LIMIT_EVENTS_PER_SEC: '100000', RATE_LIMIT_BURST: '100000' } });
    [me, peer] = await Promise.all([registerUser(t.url), registerUser(t.url)]);
    client = await connect(t.url, me.token);
  });
  afterAll(async () => {
    client?.close();
    await t?.close();
  });

  it('finds the numeric and boolean fields of the events in their payload schemas', () => {
    const names = FIELDS.map((f) => `${f.event}.${f.field}:${f.kind}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'message:history.before:integer',
        'message:history.after:integer',
        'message:history.limit:integer',
        'message:read.seq:integer',
        'typing.isTyping:boolean',
        'presence:subscribe.all:boolean',
        'presence:unsubscribe.all:boolean',
        'presence:list.limit:integer',
        'modal:open.exclusive:boolean',
      ]),
    );
  });

  it.each(FIELDS.map((f) => [`${f.event} ${f.field} (${f.kind}${f.array ? '[]' : ''})`, f] as const))(
    '%s: refuses every wrong-typed value with BAD_REQUEST naming the field, accepts the right type',
    async (_name, f) => {
      for (const value of WRONG[f.kind]) {
        const payload = payloadWith(f, value);
        const ack = await client.request(f.event, payload);
        const details = (ack.ok ? [] : ack.error.details) as FieldError[] | undefined;
        const named = details?.find((d) => d.field === f.field);
        expect({ payload, ack: ack.ok ? ack : { code: ack.error.code, named } }).toEqual({
          payload,
          ack: {
            code: 'BAD_REQUEST',
            named: { field: f.field, errors: expect.arrayContaining([expect.stringMatching(TYPE_ERROR[f.kind])]) },
          },
        });
      }
      // The same payload with a value of the right type passes validation for this field (the event
      // may still fail for its own reasons, e.g. an unknown conversation, but not on this field's type).
      const right = f.kind === 'boolean' ? true : (f.schema.minimum ?? 1);
      const ack = await client.request(f.event, payloadWith(f, right));
      const details = (ack.ok ? [] : ack.error.details) as FieldError[] | undefined;
      expect(Array.isArray(details) ? details.filter((d) => d.field === f.field) : []).toEqual([]);
    },
  );

  describe('REST query strings: only plain decimal digits are numbers', () => {
    const routes = () => [
      { path: '/users', params: ['limit'] },
      {
        path: `/conversations/${encodeURIComponent(dmConversationId(me.user.id, peer.user.id))}/messages`,
        params: ['before', 'after', 'limit'],
      },
    ];
    const BAD = ['0x10', '1e1', '', '1.5', '-1', ' 5', '+5', '05', 'true', 'NaN', '5abc'];

    it.each(BAD)('answers 400 naming the parameter for %p on every integer parameter', async (raw) => {
      for (const { path, params } of routes()) {
        for (const param of params) {
          const res = await request(t.url)
            .get(`${path}?${param}=${encodeURIComponent(raw)}`)
            .set('authorization', `Bearer ${me.token}`);
          const body = res.body as { error?: { code: string; details?: FieldError[] } };
          expect({
            path,
            param,
            raw,
            status: res.status,
            code: body.error?.code,
            fields: body.error?.details?.map((d) => d.field),
          }).toEqual({
            path,
            param,
            raw,
            status: 400,
            code: 'BAD_REQUEST',
            fields: [param],
          });
        }
      }
    });

    it('answers 400 for a repeated parameter and accepts plain digits', async () => {
      const auth = { authorization: `Bearer ${me.token}` };
      for (const { path } of routes()) {
        await request(t.url).get(`${path}?limit=2&limit=3`).set(auth).expect(400);
        await request(t.url).get(`${path}?limit=2`).set(auth).expect(200);
      }
      const history = await request(t.url).get(`${routes()[1].path}?before=10&after=0&limit=100`).set(auth).expect(200);
      expect(history.body).toEqual({ messages: [], hasMore: false });
      const users = await request(t.url).get(`/users?search=${me.user.username}&limit=1`).set(auth).expect(200);
      expect((users.body as { users: { id: string }[] }).users.map((u) => u.id)).toEqual([me.user.id]);
    });
  });
});
