// Benchmark of skipExisting's repodata lookup: a synthetic repodata.json of
// N records (conda-forge-like records, ~450 bytes each) served over HTTP on
// the loopback; measures the first fetch of a run (download, parse, compact
// index written), a later run's conditional request (304), and a task's
// lookup against this run's copy. Usage: node bench/repodata.mjs [records...]
// Needs a built plugin (npm run build) in lib/, or BENCH_LIB=<folder with lib/>.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { upstreamIndex, lookupExisting } = require(join(process.env.BENCH_LIB ?? repo, 'lib/channel/index.js'));
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);

function repodata(n) {
  const records = {};
  for (let i = 0; i < n; i++) {
    const name = `pkg-${i % Math.ceil(n / 20)}`;
    const version = `${1 + (i % 20)}.${i % 7}.0`;
    records[`${name}-${version}-py311h${i.toString(16).padStart(7, '0')}_${i % 3}.conda`] = {
      build: `py311h${i.toString(16).padStart(7, '0')}_${i % 3}`,
      build_number: i % 3,
      depends: ['python >=3.11,<3.12.0a0', 'numpy >=1.23', 'libzlib >=1.3.1,<2.0a0'],
      license: 'MIT',
      md5: 'e'.repeat(32),
      name,
      sha256: 'f'.repeat(64),
      size: 123456,
      subdir: 'linux-64',
      timestamp: 1700000000000,
      version,
    };
  }
  return JSON.stringify({
    info: { subdir: 'linux-64' },
    packages: {},
    'packages.conda': records,
    removed: [],
    repodata_version: 1,
  });
}

const ms = (t) => `${(performance.now() - t).toFixed(0)} ms`;
for (const n of sizes.length ? sizes : [100000, 500000]) {
  const body = Buffer.from(repodata(n));
  const server = createServer((req, res) => {
    if (!req.url.includes('/linux-64/')) return res.writeHead(404).end();
    if (req.headers['if-none-match'] === '"v1"') return res.writeHead(304).end();
    res.writeHead(200, { ETag: '"v1"', 'Content-Length': body.length }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const channel = `http://127.0.0.1:${server.address().port}/ch`;
  const cacheRoot = mkdtempSync(join(tmpdir(), 'nx-conda-bench-repodata-'));
  let t = performance.now();
  await upstreamIndex(channel, 'linux-64', { cacheRoot, runId: 'a' });
  const first = ms(t);
  t = performance.now();
  await lookupExisting([{ name: 'pkg-1', version: '2.1.0', buildNumber: 1 }], [channel], 'linux-64', {
    cacheRoot,
    runId: 'a',
  }).catch(() => undefined);
  const sameRun = ms(t);
  t = performance.now();
  await upstreamIndex(channel, 'linux-64', { cacheRoot, runId: 'b' });
  const nextRun = ms(t);
  console.log(
    `${n} records, ${(body.length / 1024 / 1024).toFixed(1)} MB: first fetch + index ${first}; ` +
      `lookup in the same run (cached index) ${sameRun}; next run (304) ${nextRun}`,
  );
  server.close();
  rmSync(cacheRoot, { recursive: true, force: true });
}
