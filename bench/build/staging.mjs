// staging-<n> (issue 13 item 2): assembleStagingChannel of n packages beside
// plain copies of the same files, with hard links and reflinks for scale.
import { constants as fsConstants, copyFileSync, linkSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fakeChannel } from './fixtures.mjs';
import { ROOT, alternate, list, log, num, round } from './runner.mjs';

export default {
  name: 'staging',
  figures: ['staging'],
  env: 'BENCH_STAGING=10,100,1000,5000 (package counts), BENCH_STAGING_RUNS=5, BENCH_PKG_KB=32 (package size)',
  run({ tpl, results }) {
    const counts = list('BENCH_STAGING', '10,100,1000,5000', '10,100,1000,5000');
    const runs = num('BENCH_STAGING_RUNS', 3, 5);
    const packageKb = num('BENCH_PKG_KB', 32, 32);
    const require = createRequire(import.meta.url);
    const channel = require(join(tpl.dir, 'node_modules', 'nx-conda', 'lib', 'channel', 'index.js'));
    const base = join(ROOT, 'staging');
    rmSync(base, { recursive: true, force: true });
    const perSource = 5; // packages per dependency output folder
    let reflink = 'not tried';
    for (const n of counts) {
      log(`staging, ${n} packages (${runs} runs each)...`);
      const sources = [];
      for (let s = 0; s * perSource < n; s++) {
        const dir = join(base, `src-${n}`, `dep${s}`);
        fakeChannel(dir, Math.min(perSource, n - s * perSource), packageKb, `d${s}x`);
        sources.push(dir);
      }
      const files = sources.flatMap((dir) =>
        readdirSync(join(dir, 'noarch'))
          .filter((f) => f.endsWith('.conda'))
          .map((f) => join(dir, 'noarch', f)),
      );
      let k = 0;
      const fresh = () => join(base, `staging-${n}-${k++}`);
      const measure = (f) => () => {
        const dir = fresh();
        const t = process.hrtime.bigint();
        f(dir);
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        rmSync(dir, { recursive: true, force: true });
        return ms;
      };
      const rawFiles = (op) => (dir) => {
        mkdirSync(join(dir, 'noarch'), { recursive: true });
        files.forEach((f, i) => op(f, join(dir, 'noarch', `${i}.conda`)));
      };
      const sides = {
        plugin: measure((dir) => channel.assembleStagingChannel(dir, sources, 'linux-64')),
        copy: measure(rawFiles((a, b) => copyFileSync(a, b))),
        link: measure(rawFiles((a, b) => linkSync(a, b))),
      };
      if (reflink !== 'unsupported') {
        try {
          const probe = fresh();
          rawFiles((a, b) => copyFileSync(a, b, fsConstants.COPYFILE_FICLONE_FORCE))(probe);
          rmSync(probe, { recursive: true, force: true });
          reflink = 'supported';
          sides.reflink = measure(rawFiles((a, b) => copyFileSync(a, b, fsConstants.COPYFILE_FICLONE_FORCE)));
        } catch (e) {
          reflink = 'unsupported';
          log(`reflinks: not supported on this file system (${e.code ?? e.message})`);
        }
      }
      const r = alternate(runs, sides);
      const perPkg = (s) => ({
        median: round(s.median / n),
        min: round(s.min / n),
        max: round(s.max / n),
        runs: s.runs,
      });
      results.figure(`staging-${n}`, {
        what: `assembleStagingChannel: ${n} packages of ${packageKb} KB from ${sources.length} dependency folders (copied, merged repodata.json written)`,
        unit: 'ms',
        value: r.plugin,
        baseline: r.copy,
        baselineWhat: 'copyFileSync of the same files, no index (the file copies alone)',
        goal: '≤ 2 ms per package, linear',
        extra: {
          msPerPackage: perPkg(r.plugin),
          hardLinks: { ms: r.link, msPerPackage: perPkg(r.link) },
          reflinks: r.reflink ? { ms: r.reflink, msPerPackage: perPkg(r.reflink) } : reflink,
        },
      });
      rmSync(join(base, `src-${n}`), { recursive: true, force: true });
    }
    rmSync(base, { recursive: true, force: true });
  },
};
