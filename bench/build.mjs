// Build-path benchmark (issues 13, 17, 19): what nx-conda adds to a bare
// container run, how staging scales, what parallelism buys, the cost of a
// no-op rerun, of docker-image when the image exists, of real conda-build,
// and (opt-in) of package-image. Every figure is measured beside its
// baseline in the same run, runs alternating, and reported as median
// [min–max] with the ratio of medians. One module per figure under
// bench/build/, sharing bench/build/runner.mjs.
//
// Usage: npm run bench:build [-- items...]
//   items (or BENCH_ONLY=a,b): a module name (overhead staging parallel noop image conda package-image
//   upstream-deps aarch64) or a figure name or its prefix (build-overhead, parallel-2, noop-rerun,
//   docker-image-exists, conda-build, package-image, build-aarch64-emulated, ...). Default: every module but the
//   opt-in package-image, upstream-deps and aarch64.
// Writes docs/benchmarks.json and docs/benchmarks.md (text after the `<!-- notes -->` line of
// docs/benchmarks.md is kept). Figures not re-run now are kept from docs/benchmarks.json and marked
// so (BENCH_FRESH=1: drop them). Never fails on a number.
//
// Env (run counts; the defaults fit a full run in ~10–15 min on an idle 2-core machine): see each
// module's `env` (printed by `npm run bench:build -- --help`), and
//   BENCH_QUICK=1           all counts reduced (a check that it works, not figures to quote)
//   BENCH_TEMPLATE=<dir>    use an installed template as it is (no pack): compare before/after a change
//   BENCH_ROOT              scratch folder (default $TMPDIR/nx-conda-bench-build); BENCH_KEEP=1 keeps the workspaces
import { mkdirSync } from 'node:fs';
import aarch64 from './build/aarch64.mjs';
import condaBuild from './build/conda-build.mjs';
import dockerImage from './build/docker-image.mjs';
import noop from './build/noop.mjs';
import overhead from './build/overhead.mjs';
import packageImage from './build/package-image.mjs';
import parallel from './build/parallel.mjs';
import {
  ROOT,
  Results,
  log,
  loadNow,
  machine,
  readEarlierResults,
  requireImages,
  setLogPrefix,
  template,
  writeReport,
} from './build/runner.mjs';
import staging from './build/staging.mjs';
import upstreamDeps from './build/upstream-deps.mjs';

const MODULES = [overhead, staging, parallel, noop, dockerImage, condaBuild, packageImage, upstreamDeps, aarch64];
/** Every figure prefix in module order: the order of the table. */
const ORDER = MODULES.flatMap((m) => m.figures);

/** The modules a selection names: by module name, or by a figure's name or prefix. */
export function select(words) {
  if (!words.length) return MODULES.filter((m) => !m.optIn);
  const picked = new Set();
  for (const w of words) {
    const m = MODULES.find(
      (mod) => mod.name === w || mod.figures.some((f) => f === w || w.startsWith(`${f}-`) || f.startsWith(`${w}-`)),
    );
    if (!m)
      throw new Error(`bench:build: no figure or module "${w}" (modules: ${MODULES.map((x) => x.name).join(', ')})`);
    picked.add(m);
  }
  return MODULES.filter((m) => picked.has(m));
}

/** Runs the selected figure modules and writes the report. */
export function main(words, { logPrefix } = {}) {
  if (logPrefix) setLogPrefix(logPrefix);
  const modules = select(words);
  const loadBefore = loadNow();
  mkdirSync(ROOT, { recursive: true });
  const tpl = template();
  requireImages();
  const started = Date.now();
  const results = new Results(process.env.BENCH_FRESH ? {} : readEarlierResults());
  log(`figures: ${modules.map((m) => m.name).join(', ')}`);
  for (const mod of modules) {
    const t = Date.now();
    try {
      mod.run({ tpl, results });
    } catch (e) {
      // A failed figure is reported, never a reason to lose the others.
      log(`${mod.name} failed: ${e.message}`);
      results.failed(mod.name, e.message);
    }
    log(`${mod.name}: ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
  const m = machine(tpl.nxVersion, loadBefore);
  m.totalSeconds = Math.round((Date.now() - started) / 1000);
  m.figuresRun = modules.map((x) => x.name);
  writeReport(m, results, ORDER);
  log(`done in ${m.totalSeconds} s: docs/benchmarks.json, docs/benchmarks.md`);
}

const args = process.argv.slice(2);
if (args.includes('--help')) {
  for (const m of MODULES) console.log(`${m.name}${m.optIn ? ' (opt-in)' : ''}: ${m.figures.join(', ')}; ${m.env}`);
} else {
  const fromEnv = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  main([...args, ...fromEnv]);
}
