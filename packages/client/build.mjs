// Builds the package: ESM (.mjs) and CommonJS (.cjs) bundles with esbuild, declarations with tsc.
// The contract is the server's own src/contracts: esbuild bundles its runtime part (the error
// catalogue) into the bundles, and its declarations are copied into dist/contracts/ with the
// imports pointed there, so the package needs nothing outside itself.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });

const entryPoints = { index: join(here, 'src/index.ts'), react: join(here, 'src/react.ts') };
const common = { entryPoints, bundle: true, platform: 'neutral', target: 'es2020', sourcemap: true, outdir: dist, logLevel: 'warning' };
// Dependencies stay imports; only this package's code and the contract are bundled.
const external = ['socket.io-client', 'react'];
await build({ ...common, format: 'esm', outExtension: { '.js': '.mjs' }, external });
await build({ ...common, format: 'cjs', outExtension: { '.js': '.cjs' }, external });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json'), '--emitDeclarationOnly'], { stdio: 'inherit' });
const emitted = join(dist, '.types');
cpSync(join(emitted, 'packages/client/src'), dist, { recursive: true });
cpSync(join(emitted, 'src/contracts'), join(dist, 'contracts'), { recursive: true });
rmSync(emitted, { recursive: true });
for (const file of readdirSync(dist).filter((f) => f.endsWith('.d.ts'))) {
  const path = join(dist, file);
  writeFileSync(path, readFileSync(path, 'utf8').replaceAll('../../../src/contracts/', './contracts/'));
}
