import { Parser } from '@asyncapi/parser';
import request from 'supertest';
import { CLIENT_EVENT_DOCS, ERROR_CODES, SERVER_EVENT_DOCS } from '../src/contracts';
import { channelId, type AsyncApiDocument } from '../src/docs/asyncapi';
import { startApp, type TestApp } from './support/app';
import { handledEvents } from './support/discovery';

/** ERROR severity in the parser's (Spectral) diagnostics. */
const SEVERITY_ERROR = 0;

describe('AsyncAPI at /asyncapi.json and /asyncapi', () => {
  let app: TestApp;
  let doc: AsyncApiDocument;

  beforeAll(async () => {
    app = await startApp();
    const res = await request(app.url)
      .get('/asyncapi.json')
      .expect(200)
      .expect('content-type', /application\/json/);
    doc = res.body as AsyncApiDocument;
  });
  afterAll(() => app?.close());

  const clientEvents = () =>
    Object.values(doc.channels)
      .filter((c) => c.messages.request)
      .map((c) => c.address)
      .sort();

  it('is a valid AsyncAPI 3.0 document for @asyncapi/parser', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    const errors = diagnostics.filter((d) => Number(d.severity) === SEVERITY_ERROR);
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe('3.0.0');
    // The parser resolved the ack replies: every client event is a receive operation with a reply.
    const receive = document!
      .operations()
      .all()
      .filter((op) => op.action() === 'receive');
    expect(receive.length).toBe(Object.keys(CLIENT_EVENT_DOCS).length);
    for (const op of receive) expect(op.reply()?.messages().all().length).toBe(1);
  });

  it('documents exactly the events the gateways handle', () => {
    const handled = handledEvents(app.app);
    expect(handled.length).toBeGreaterThan(10);
    expect(clientEvents()).toEqual(handled);
  });

  it('documents every server event of the contract with who receives it', () => {
    const documented = Object.values(doc.channels)
      .filter((c) => c.messages.event)
      .map((c) => c.address)
      .sort();
    expect(documented).toEqual(Object.keys(SERVER_EVENT_DOCS).sort());
    for (const event of documented) {
      const message = doc.components.messages[`${channelId(event)}Event`];
      expect(message['x-receivers']).toEqual(expect.any(String));
      expect(message.payload).toEqual(expect.any(Object));
    }
  });

  it('gives each client event a payload schema, an ack schema and its error codes', () => {
    for (const event of clientEvents()) {
      const id = channelId(event);
      const requestMessage = doc.components.messages[`${id}Request`];
      expect(requestMessage.payload.type).toBe('object');
      expect(requestMessage.payload.additionalProperties).toBe(false);
      expect(requestMessage['x-errors']).toEqual(expect.arrayContaining(['BAD_REQUEST', 'RATE_LIMITED']));
      for (const code of requestMessage['x-errors']!) expect(ERROR_CODES).toContain(code);
      expect(doc.components.messages[`${id}Ack`].payload.oneOf).toHaveLength(2);
    }
    // Limits come from the DTOs' class-validator rules.
    const send = doc.components.messages.messageSendRequest.payload;
    expect(send.required).toEqual(['content']);
    expect(send.properties!.clientMsgId).toMatchObject({ type: 'string', maxLength: 64 });
    expect(doc.components.messages.modalOpenRequest['x-errors']).toContain('CONFLICT');
  });

  it('names the server the reader connected to', () => {
    const servers = doc.servers as Record<string, { host: string; protocol: string }>;
    expect(servers.default).toMatchObject({ host: new URL(app.url).host, protocol: 'ws' });
  });

  it('renders a self-contained page listing every event', async () => {
    const res = await request(app.url)
      .get('/asyncapi')
      .expect(200)
      .expect('content-type', /text\/html/);
    const html = res.text;
    for (const channel of Object.values(doc.channels)) expect(html).toContain(`<code>${channel.address}</code>`);
    for (const name of Object.keys(doc.components.schemas)) expect(html).toContain(`id="schema-${name}"`);
    // Works offline and under the default CSP: no scripts, nothing loaded from elsewhere.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="https?:/i);
  });
});
