/**
 * A DOM for the React binding's specs, in the node test environment (the app under test runs in
 * the same process, and socket.io-client keeps its node transport): jsdom's window globals that
 * node lacks, as global-jsdom does. Import it before react-dom.
 */
// Untyped on purpose: @types/jsdom pulls the DOM lib into the whole (server) program.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { JSDOM } = require('jsdom') as { JSDOM: new (html: string, options: { url: string }) => { window: Window } };
type Window = Record<string, unknown> & { document: unknown; navigator: unknown };

const { window } = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://localhost/' });
const globals = globalThis as Record<string, unknown>;
for (const key of Object.getOwnPropertyNames(window)) {
  if (!(key in globals)) globals[key] = window[key];
}
globals.window = window;
globals.document = window.document;
globals.navigator = window.navigator;
/** React's `act` checks this to know it runs in a test. */
globals.IS_REACT_ACT_ENVIRONMENT = true;
