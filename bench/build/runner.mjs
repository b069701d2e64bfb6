// The shared runner of the build-path figures (bench/build.mjs) and of the
// other benches that need the plugin installed: the template workspace made
// from the packed plugin, workspaces copied from it, alternate runs, median
// [min–max] statistics, the load-average note, dist/bench/*.json and the
// table of docs/benchmarks.md. Each figure is a module of bench/build/
// exporting `{ name, figures, describe, run(ctx) }`.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const QUICK = Boolean(process.env.BENCH_QUICK);
/** A run count or size from the environment, with its quick (BENCH_QUICK) and full defaults. */
export const num = (name, quick, full) => Number(process.env[name] ?? (QUICK ? quick : full));
export const list = (name, quick, full) =>
  (process.env[name] ?? (QUICK ? quick : full))
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
export const ROOT = resolve(process.env.BENCH_ROOT ?? join(tmpdir(), 'nx-conda-bench-build'));
export const IMAGES = {
  rattler: 'nx-conda-e2e/rattler-build:latest',
  conda: 'nx-conda-e2e/conda-build:latest',
  base: 'nx-conda-e2e/base:bookworm',
};
export const UID = process.getuid?.() ?? 0;
export const GID = process.getgid?.() ?? 0;

let prefix = 'bench:build';
export const setLogPrefix = (p) => (prefix = p);
export const log = (s) => console.log(`[${prefix}] ${s}`);

// ---------------------------------------------------------------- statistics

export const round = (x) => Math.round(x * 1000) / 1000;
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median: round(median), min: round(s[0]), max: round(s[s.length - 1]), runs: s.length };
}

/** Runs each side in turn, `runs` times, so that a change of load weighs on both alike. */
export function alternate(runs, sides) {
  const times = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [k, f] of Object.entries(sides)) times[k].push(f(i));
  return Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, stats(xs)]));
}

export const fmt = (s, unit) => (s ? `${s.median} [${s.min}–${s.max}] ${unit}` : '—');

// ---------------------------------------------------------------- commands

export function sh(cmd, args, cwd, opts = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0)
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed in ${cwd} (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Wall seconds of a command run without Nx. */
export function timed(cmd, args, cwd) {
  const t = process.hrtime.bigint();
  sh(cmd, args, cwd);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

export function requireImages(images = Object.values(IMAGES)) {
  for (const img of images)
    if (spawnSync('docker', ['image', 'inspect', img], { stdio: 'ignore' }).status !== 0)
      throw new Error(`bench: image ${img} is missing; run \`npm run e2e:images\`.`);
}

// ---------------------------------------------------------------- workspaces

/**
 * As the e2e global setup does: the plugin packed as it would be published,
 * installed with the repository's Nx into a template that every benchmark
 * workspace copies by hard links. Reinstalled only when the tarball changes.
 * BENCH_TEMPLATE=<dir>: an installed template as it is (e.g. one of an
 * earlier commit, to compare before and after a change).
 */
export function template(root = ROOT) {
  if (process.env.BENCH_TEMPLATE) {
    const dir = resolve(process.env.BENCH_TEMPLATE);
    return {
      dir,
      nxVersion: JSON.parse(readFileSync(join(dir, 'node_modules', 'nx', 'package.json'), 'utf8')).version,
    };
  }
  const packDir = join(root, 'pack');
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir, { recursive: true });
  log('packing the plugin...');
  sh('npm', ['pack', '--silent', '--pack-destination', packDir], repo, { stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = join(
    packDir,
    readdirSync(packDir).find((f) => f.endsWith('.tgz')),
  );
  const digest = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  const nxVersion = JSON.parse(readFileSync(join(repo, 'node_modules', 'nx', 'package.json'), 'utf8')).version;
  const dir = join(root, 'template');
  const marker = join(dir, '.installed');
  const want = `${digest} nx@${nxVersion}`;
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== want) {
    log(`installing it with nx@${nxVersion} into ${dir}...`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    copyFileSync(tarball, join(dir, 'nx-conda.tgz'));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify(
        {
          name: 'bench-template',
          private: true,
          devDependencies: { nx: nxVersion, 'nx-conda': `file:${join(dir, 'nx-conda.tgz')}` },
        },
        null,
        2,
      ),
    );
    sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir, {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    writeFileSync(marker, want);
  }
  return { dir, nxVersion };
}

/** The environment of every benchmark Nx run: no daemon, no cloud, no TUI, plain output. */
export const NX_ENV = {
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  NX_SKIP_NX_CACHE: '',
  FORCE_COLOR: '0',
  CI: 'true',
};

/** A workspace under ROOT/ws (or `at`) with the template's node_modules hard-linked in. */
export class Workspace {
  constructor(name, tpl, { at, nxJson, gitignore = true } = {}) {
    this.root = at ?? join(ROOT, 'ws', name);
    rmSync(this.root, { recursive: true, force: true });
    mkdirSync(this.root, { recursive: true });
    execFileSync('cp', ['-al', join(tpl.dir, 'node_modules'), join(this.root, 'node_modules')]);
    this.write('package.json', JSON.stringify({ name, private: true }));
    if (gitignore) this.write('.gitignore', 'node_modules\n.nx\ndist\ntmp\n');
    this.write('nx.json', JSON.stringify(nxJson ?? { $schema: './node_modules/nx/schemas/nx-schema.json' }, null, 2));
  }
  write(path, content, mode) {
    const file = join(this.root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content, mode ? { mode } : undefined);
  }
  project(name, root, targets, extra = {}) {
    this.write(join(root, 'project.json'), JSON.stringify({ name, root, targets, ...extra }, null, 2));
  }
  /** Runs nx; returns wall seconds. Output goes to a file (a pipe can be cut short when Nx exits). */
  nx(args, { env = {}, check = true } = {}) {
    const outFile = join(this.root, '.bench-out.txt');
    const out = openSync(outFile, 'w');
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [join(this.root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], {
      cwd: this.root,
      stdio: ['ignore', out, out],
      env: { ...process.env, ...NX_ENV, ...env },
    });
    const secs = Number(process.hrtime.bigint() - t) / 1e9;
    closeSync(out);
    this.lastOutput = readFileSync(outFile, 'utf8');
    if (check && r.status !== 0)
      throw new Error(
        `nx ${args.join(' ')} failed in ${this.root} (exit ${r.status}):\n${this.lastOutput.slice(-4000)}`,
      );
    return secs;
  }
  remove() {
    if (!process.env.BENCH_KEEP) rmSync(this.root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- machine and load

export const loadNow = () => loadavg().map((x) => round(x));

export function machine(nxVersion, loadBefore) {
  const docker = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], {
    encoding: 'utf8',
  }).stdout.trim();
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    cpu: `${cpu[0]?.model ?? '?'} × ${cpu.length}`,
    memoryGB: Math.round(totalmem() / 1024 ** 3),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadNow(),
    node: process.version,
    nx: nxVersion,
    docker,
    quick: QUICK,
  };
}

/** The note after the load averages when the machine had more to do than it has cores. */
export const loadNote = (before, after) =>
  Math.max(...before, ...after) > cpus().length
    ? ' **The machine was loaded (load above its core count): these figures are noisy.**'
    : '';

// ---------------------------------------------------------------- results

// Committed beside the report, so that a partial run (BENCH_ONLY) in a fresh clone keeps the other figures.
export const RESULTS_FILE = join(repo, 'docs', 'benchmarks.json');

/**
 * The figures of a run. `figure()` records one: nx-conda's side, its
 * baseline, their ratio (value / baseline), the goal, and when and under
 * which load it was measured (so that a figure kept from an earlier run
 * says so).
 */
export class Results {
  constructor(earlier = {}) {
    this.figures = { ...earlier };
    this.fresh = new Set();
  }
  figure(key, { what, unit, value, baseline, baselineWhat, goal, ratio, extra }) {
    const r = ratio ?? (baseline ? round(value.median / baseline.median) : undefined);
    this.figures[key] = {
      what,
      unit,
      value,
      baseline,
      baselineWhat,
      ratio: r,
      goal,
      ...(extra ? { extra } : {}),
      measured: { date: new Date().toISOString(), load: loadNow() },
    };
    this.fresh.add(key);
    log(
      `${key}: ${value.median} ${unit} [${value.min}–${value.max}]` +
        (baseline ? ` vs ${baseline.median} [${baseline.min}–${baseline.max}] → ${r}` : ''),
    );
  }
  failed(key, message) {
    this.figures[`${key}-failed`] = { what: key, error: message.slice(0, 2000) };
    this.fresh.add(`${key}-failed`);
  }
}

export function readEarlierResults() {
  return existsSync(RESULTS_FILE) ? JSON.parse(readFileSync(RESULTS_FILE, 'utf8')).figures : {};
}

// ---------------------------------------------------------------- docs/benchmarks.md

export function markdown(m, results, order) {
  const all = results.figures;
  const keys = Object.keys(all).sort((a, b) => rank(order, a) - rank(order, b));
  const kept = keys.filter((k) => !results.fresh.has(k));
  const lines = [
    '# Build-path benchmarks',
    '',
    'Generated by `npm run bench:build` (bench/build.mjs, one module per figure under bench/build/); raw figures in `docs/benchmarks.json`.',
    'Each figure is the median [min–max] of several runs, nx-conda and its baseline measured alternately in the same run;',
    'the ratio is nx-conda’s median over the baseline’s. Benchmarks never fail on a number and are not part of `npm test`.',
    '',
    `Machine: ${m.cpu}, ${m.memoryGB} GB, Node ${m.node}, Nx ${m.nx}, Docker ${m.docker}; ${m.date}.`,
    `Load average (1, 5, 15 min): ${m.loadAverageBefore.join(', ')} before, ${m.loadAverageAfter.join(', ')} after.` +
      loadNote(m.loadAverageBefore, m.loadAverageAfter),
    m.quick ? '**Reduced run counts (BENCH_QUICK): a check that the benchmark works, not figures to quote.**' : null,
    ...keptLines(kept, all),
    '',
    '| figure | nx-conda | baseline | ratio | goal |',
    '| --- | ---: | ---: | ---: | --- |',
  ];
  for (const key of keys) {
    const r = all[key];
    if (r.error) {
      lines.push(`| \`${key}\` | failed: ${r.error.split('\n')[0].slice(0, 200)} | | | |`);
      continue;
    }
    let ratio = r.ratio === undefined ? '—' : `${r.ratio}×`;
    if (r.extra?.speedUp) ratio = `${r.ratio}× (speed-up ${r.extra.speedUp}×)`;
    lines.push(`| \`${key}\` | ${fmt(r.value, r.unit)} | ${fmt(r.baseline, r.unit)} | ${ratio} | ${r.goal} |`);
  }
  const staging = keys.filter((k) => k.startsWith('staging-') && !all[k].error);
  if (staging.length) {
    lines.push(
      '',
      'Staging, per package (ms; median [min–max]):',
      '',
      '| packages | nx-conda (copies + index) | copyFileSync only | hard links only | reflinks |',
      '| ---: | ---: | ---: | ---: | ---: |',
    );
    for (const k of staging) {
      const r = all[k];
      const n = Number(k.slice('staging-'.length));
      const per = (s) => ({ median: round(s.median / n), min: round(s.min / n), max: round(s.max / n) });
      const rl = typeof r.extra.reflinks === 'string' ? r.extra.reflinks : fmt(r.extra.reflinks.msPerPackage, '');
      lines.push(
        `| ${n} | ${fmt(r.extra.msPerPackage, '')} | ${fmt(per(r.baseline), '')} | ${fmt(r.extra.hardLinks.msPerPackage, '')} | ${rl} |`,
      );
    }
  }
  const extras = keys.filter(
    (k) => !all[k].error && all[k].extra && !all[k].extra.msPerPackage && !all[k].extra.speedUp,
  );
  if (extras.length) {
    lines.push('');
    for (const k of extras) {
      const r = all[k];
      lines.push(
        `- \`${k}\`: ${Object.entries(r.extra)
          .map(
            ([n, v]) =>
              `${n} ${typeof v === 'string' ? v : typeof v === 'object' ? fmt(v, r.unit) : /[Rr]atio/.test(n) ? `${v}×` : `${v} ${r.unit}`}`,
          )
          .join('; ')}`,
      );
    }
  }
  lines.push('', 'What each figure measures:', '');
  for (const k of keys) if (!all[k].error) lines.push(`- \`${k}\`: ${all[k].what}; baseline: ${all[k].baselineWhat}.`);
  return (
    lines
      .filter((l) => l !== null)
      .filter((l, i, a) => !(l === '' && a[i - 1] === ''))
      .join('\n') + '\n'
  );
}

/** One line per earlier run for the figures kept from it: when, under which load. */
function keptLines(kept, all) {
  const byRun = new Map();
  for (const k of kept) {
    const m = all[k].measured;
    const when = m ? `${m.date.slice(0, 16)}Z, load ${m.load.join(', ')} after` : 'an earlier run';
    byRun.set(when, [...(byRun.get(when) ?? []), `\`${k}\``]);
  }
  return [...byRun].map(([when, keys]) => `Kept from an earlier run (${when}; not re-run now): ${keys.join(', ')}.`);
}

/** Figures in the order of the modules that make them (a figure's key starts with one of its module's prefixes). */
function rank(order, key) {
  const i = order.findIndex((p) => key === p || key.startsWith(`${p}-`));
  return i < 0 ? order.length : i;
}

export const DOC_FILE = join(repo, 'docs', 'benchmarks.md');
const NOTES = '<!-- notes -->';

/** Writes docs/benchmarks.json and the generated head of docs/benchmarks.md (the text from `<!-- notes -->` on is kept). */
export function writeReport(m, results, order) {
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, JSON.stringify({ machine: m, figures: results.figures }, null, 2) + '\n');
  const previous = existsSync(DOC_FILE) ? readFileSync(DOC_FILE, 'utf8') : '';
  const notes = previous.includes(NOTES) ? previous.slice(previous.indexOf(NOTES)) : `${NOTES}\n`;
  mkdirSync(dirname(DOC_FILE), { recursive: true });
  writeFileSync(DOC_FILE, `${markdown(m, results, order)}\n${notes}`);
}

/** Writes one bench's own raw figures as dist/bench/<name>.json. */
export function writeJson(name, value) {
  mkdirSync(join(repo, 'dist', 'bench'), { recursive: true });
  writeFileSync(join(repo, 'dist', 'bench', `${name}.json`), `${JSON.stringify(value, null, 2)}\n`);
}
