/** nx-conda's own version, from its package.json ('0' when it cannot be read). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PLUGIN_VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version ?? '0';
  } catch {
    return '0';
  }
})();
