// Copies the non-TypeScript parts of executors and generators (schemas,
// templates) from src/ into lib/ so the packed tarball is self-contained.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const src = 'src';
const out = 'lib';

function walk(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const rel = relative(src, path);
    if (statSync(path).isDirectory()) {
      if (entry === 'files') {
        cpSync(path, join(out, rel), { recursive: true });
        continue;
      }
      walk(path);
    } else if (!path.endsWith('.ts') || path.endsWith('.d.ts')) {
      if (path.endsWith('.d.ts') && !entry.startsWith('schema')) continue;
      cpSync(path, join(out, rel));
    }
  }
}
walk(src);
