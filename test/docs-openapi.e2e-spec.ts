import request from 'supertest';
import { startApp, type TestApp } from './support/app';
import { restRoutes } from './support/discovery';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  security?: Record<string, string[]>[];
  summary?: string;
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
}
interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme: string }> };
}

/** Every `$ref` anywhere in a value. */
const refsIn = (value: unknown): string[] =>
  value && typeof value === 'object'
    ? Object.entries(value).flatMap(([key, v]) => (key === '$ref' && typeof v === 'string' ? [v] : refsIn(v)))
    : [];

describe('OpenAPI at /docs-json and /docs', () => {
  let app: TestApp;
  let doc: OpenApi;

  beforeAll(async () => {
    app = await startApp();
    doc = (await request(app.url).get('/docs-json').expect(200).expect('content-type', /json/)).body as OpenApi;
  });
  afterAll(() => app?.close());

  const documented = () =>
    Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();

  it('is an OpenAPI 3 document with the bearer scheme and the error body', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toEqual(expect.any(String));
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.ErrorResponse).toMatchObject({ required: ['error'] });
  });

  it('documents exactly the routes the app serves', () => {
    const served = restRoutes(app.app);
    expect(served).toEqual(expect.arrayContaining(['POST /auth/login', 'GET /users/me', 'GET /conversations/{conversationId}/messages']));
    expect(documented()).toEqual(served);
  });

  it('documents a success response for every operation and the error body for every failure', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect([where, op.summary]).toEqual([where, expect.any(String)]);
        const statuses = Object.keys(op.responses);
        expect([where, statuses.some((s) => /^2\d\d$/.test(s))]).toEqual([where, true]);
        for (const status of statuses.filter((s) => /^4\d\d$/.test(s))) {
          expect([where, status, op.responses[status].content?.['application/json']?.schema]).toEqual([
            where,
            status,
            { $ref: '#/components/schemas/ErrorResponse' },
          ]);
        }
      }
    }
  });

  it('marks the guarded routes with the bearer scheme and a 401', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const op of Object.values(ops)) {
        const guarded =
          path.startsWith('/users') || path.startsWith('/conversations') || path === '/auth/logout' || path.startsWith('/auth/sessions');
        expect([path, Boolean(op.security?.some((s) => 'bearer' in s))]).toEqual([path, guarded]);
        if (guarded) expect(op.responses['401']).toBeDefined();
      }
    }
  });

  it('takes request bodies and query parameters from the DTOs', () => {
    const register = doc.paths['/auth/register'].post.requestBody as {
      content: Record<string, { schema: { required: string[]; properties: Record<string, unknown> } }>;
    };
    expect(register.content['application/json'].schema.required).toEqual(['username', 'password']);
    expect(register.content['application/json'].schema.properties.password).toMatchObject({ minLength: 8, maxLength: 128 });
    const history = doc.paths['/conversations/{conversationId}/messages'].get.parameters!.map((p) => `${p.in}:${p.name}`).sort();
    expect(history).toEqual(['path:conversationId', 'query:after', 'query:before', 'query:limit']);
  });

  it('resolves every $ref', () => {
    for (const ref of refsIn(doc)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect([ref, doc.components.schemas[ref.split('/').pop()!]]).toEqual([ref, expect.any(Object)]);
    }
  });

  it('serves Swagger UI from the app itself', async () => {
    const page = await request(app.url).get('/docs').redirects(1).expect(200).expect('content-type', /html/);
    expect(page.text).toContain('swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/(src|href)="https?:/i);
    await request(app.url).get('/docs/swagger-ui-bundle.js').expect(200);
  });
});
