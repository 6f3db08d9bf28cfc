import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/**
 * The source is built in floors; a folder imports only from its own floor and the ones below, so
 * a newcomer can read any folder knowing only what lies beneath it. The one exception is written
 * down here with its reason; a new upward import fails this spec until it is justified (or fixed).
 */
const FLOORS: Record<string, number> = {
  contracts: 0, // the event maps, models, error catalogue: what clients see
  config: 1,
  common: 2, // errors, validation, logging, HTTP plumbing, periodic tasks
  storage: 3,
  redis: 3,
  realtime: 4, // socket plumbing, connections, grace periods
  webhooks: 4, // the outbox every capability records into, and its dispatcher
  access: 5, // who may read, send to or see what
  users: 6,
  auth: 7,
  sessions: 8,
  presence: 9,
  modals: 9,
  chat: 10,
  health: 11,
  metrics: 11,
  docs: 11,
  'server-api': 11, // the app backend's /server/v1 routes, on top of every capability
};

/** Upward imports that are allowed, and why. */
const ALLOWED_UPWARD = new Map([
  // The /users REST routes need the bearer guard, which needs users (auth builds on them).
  ['users/users.controller.ts -> auth/bearer-auth.guard', 'a controller on top of the floor it serves'],
]);

const root = __dirname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The top folder of a path under src/ (files directly in src/ are the application's root). */
const folderOf = (path: string) => relative(root, path).split(sep)[0];

function upwardImports(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(root)) {
    const from = folderOf(file);
    if (!(from in FLOORS)) continue;
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from\s+'(\.{1,2}\/[^']+)'/g)) {
      const target = normalize(join(dirname(file), spec));
      const to = folderOf(target);
      if (!(to in FLOORS)) throw new Error(`${relative(root, file)} imports ${spec}, outside every floor`);
      if (FLOORS[to] > FLOORS[from]) found.push(`${relative(root, file)} -> ${relative(root, target)}`.split(sep).join('/'));
    }
  }
  return found;
}

describe('floors', () => {
  it('knows every folder of src/', () => {
    const folders = readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory() && name !== 'testing');
    expect(folders.filter((f) => !(f in FLOORS))).toEqual([]);
  });

  it('imports only downward, except where written down', () => {
    expect(upwardImports().filter((i) => !ALLOWED_UPWARD.has(i))).toEqual([]);
  });
});
