// Bundles the demo page (src/app.ts, on @realtime-backend/client's ESM build and socket.io-client)
// into public/app.js, which the server serves at /app.js. Build the client first.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: [join(here, 'src/app.ts')],
  outfile: join(here, '../../public/app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
