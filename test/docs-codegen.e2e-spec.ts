import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypeScriptGenerator } from '@asyncapi/modelina';
import request from 'supertest';
import ts from 'typescript';
import { CLIENT_EVENT_DOCS } from '../src/contracts';
import { pascalCase } from '../src/docs/schema-names';
import { startApp, type TestApp } from './support/app';

/**
 * What a frontend team does with /asyncapi.json: generate TypeScript models with Modelina and
 * compile them. Every model must have a name from the document (no `AnonymousSchema_N`), and the
 * ack envelope's `ok: true` must come out as the literal `true`.
 */
describe('code generated from /asyncapi.json (Modelina → tsc)', () => {
  let app: TestApp;
  let dir: string;
  let models: { modelName: string; result: string }[];

  beforeAll(async () => {
    app = await startApp();
    const doc = (await request(app.url).get('/asyncapi.json').expect(200)).body as object;
    const defaults = TypeScriptGenerator.defaultOptions.constraints;
    const generator = new TypeScriptGenerator({
      modelType: 'interface',
      constraints: {
        ...defaults,
        // Modelina renders `const` of strings and enums only; a boolean `const` is its literal.
        constant: (args) => {
          const constant = args.constrainedMetaModel.options.const;
          if (typeof constant?.originalInput === 'boolean') return String(constant.originalInput);
          return defaults.constant(args);
        },
      },
    });
    models = await generator.generateCompleteModels(doc, { exportType: 'named' });
    dir = mkdtempSync(join(tmpdir(), 'realtime-models-'));
    for (const model of models) writeFileSync(join(dir, `${model.modelName}.ts`), model.result);
  }, 60_000);
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await app?.close();
  });

  const source = (name: string): string => readFileSync(join(dir, `${name}.ts`), 'utf8');

  it('names every model (no AnonymousSchema)', () => {
    expect(models.length).toBeGreaterThan(50);
    expect(models.map((m) => m.modelName).filter((name) => /anonym/i.test(name))).toEqual([]);
    // Every client event's payload and ack, and the shared models, under the names a reader expects.
    for (const event of Object.keys(CLIENT_EVENT_DOCS)) {
      const base = pascalCase(event);
      expect(models.map((m) => m.modelName)).toEqual(expect.arrayContaining([`${base}Ack`, `${base}AckOk`, `${base}AckError`]));
    }
    expect(models.map((m) => m.modelName)).toEqual(expect.arrayContaining(['Message', 'Presence', 'ErrorBody', 'MessageSendPayload']));
  });

  it('compiles with tsc (strict)', () => {
    const program = ts.createProgram(
      models.map((m) => join(dir, `${m.modelName}.ts`)),
      { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: true, types: [] },
    );
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('types the successful ack as ok: true (a boolean literal) with the result as data', () => {
    for (const event of Object.keys(CLIENT_EVENT_DOCS)) {
      expect(source(`${pascalCase(event)}AckOk`)).toMatch(/^\s*ok: true;$/m);
    }
    expect(source('MessageSendAckOk')).toMatch(/^\s*data: Message;$/m);
    expect(source('MessageSendAck')).toMatch(/MessageSendAckOk \| MessageSendAckError/);
  });
});
