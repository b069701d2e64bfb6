// package-image benchmark (issue 19, point 6): the package-image figures of
// `npm run bench:build` (bench/build/package-image.mjs), run alone.
// Same as `BENCH_ONLY=package-image npm run bench:build`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const r = spawnSync(process.execPath, [join(here, 'build.mjs'), 'package-image'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
