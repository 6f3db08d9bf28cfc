import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The service version shown in both documents: package.json, two levels up from src/docs or dist/docs. */
export const PACKAGE_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
