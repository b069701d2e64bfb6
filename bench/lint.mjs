// lint-recipe's checks on the public corpus (../shared/corpus, see its README):
// findings per check, and time (plugin time: reading each recipe through the
// reading layer and running every check, file reads excluded), median [min, max]
// of BENCH_RUNS runs in this process, the first (cold: WASM Jinja loaded) apart.
// Writes its section of docs/benchmarks.md (between the lint markers, kept by
// bench:build) and dist/bench/lint.json.
// Usage: node bench/lint.mjs [built plugin folder holding lib/]. Env: NX_CONDA_CORPUS, BENCH_RUNS (5).
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusMetaYaml, findCorpus } from './corpus-files.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const GOAL_MS = 2000;

function buildLib() {
  const out = join(tmpdir(), `nx-conda-lint-lib-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', join(out, 'lib')], {
    cwd: repo,
    stdio: 'inherit',
  });
  symlinkSync(join(repo, 'node_modules'), join(out, 'node_modules'), 'dir');
  return out;
}

const pluginDir = process.argv[2] ? resolve(process.argv[2]) : buildLib();
if (!process.argv[2]) process.on('exit', () => rmSync(pluginDir, { recursive: true, force: true }));
const require = createRequire(join(pluginDir, 'lib', 'index.js'));
const { lintRecipe } = require(join(pluginDir, 'lib', 'lint', 'lint.js'));
const { CHECKS } = require(join(pluginDir, 'lib', 'lint', 'registry.js'));
const { knownSelectorNames } = require(join(pluginDir, 'lib', 'lint', 'checks', 'syntax.js'));

const corpus = findCorpus();
if (!corpus) throw new Error('no shared/corpus found above the repository (set NX_CONDA_CORPUS)');
const recipesDir = join(corpus, 'conda-recipes');
const files = corpusMetaYaml(recipesDir);

// Everything a lint reads from disk, read once, before timing.
const inputs = files.map((file) => {
  const dir = dirname(join(recipesDir, file));
  const names = readdirSync(dir).filter((n) => lstatSync(join(dir, n)).isFile());
  const texts = new Map(names.map((n) => [n, readFileSync(join(dir, n), 'utf8')]));
  return { file: `recipes/${file}`, contents: texts.get('meta.yaml'), files: names, texts };
});
const known = knownSelectorNames('linux-64');
// Every check that needs no network: the defaults and missing_run_exports.
const config = { rules: { missing_run_exports: 'error' } };

async function lintAll() {
  const findings = [];
  const escaped = [];
  const started = process.hrtime.bigint();
  for (const input of inputs) {
    try {
      const r = await lintRecipe({
        file: input.file,
        contents: input.contents,
        files: input.files,
        readFile: (n) => input.texts.get(n),
        platform: 'linux-64',
        knownSelectors: known,
        config,
      });
      findings.push(...r.findings);
    } catch (e) {
      escaped.push(`${input.file}: ${e.stack ?? e}`);
    }
  }
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, findings, escaped };
}

const cold = await lintAll();
const times = [];
let last = cold;
for (let i = 0; i < RUNS; i++) {
  last = await lintAll();
  times.push(last.ms);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const r1 = (x) => Math.round(x);

const perCheck = new Map(
  CHECKS.map((c) => [c.name, { check: c.name, severity: c.severity, findings: 0, recipes: new Set() }]),
);
for (const f of last.findings) {
  if (!perCheck.has(f.check))
    perCheck.set(f.check, { check: f.check, severity: f.severity, findings: 0, recipes: new Set() });
  const row = perCheck.get(f.check);
  row.findings++;
  row.recipes.add(f.file.replace(/\/[^/]+$/, ''));
}
const rows = [...perCheck.values()];
const withFindings = new Set(last.findings.map((f) => f.file.replace(/\/[^/]+$/, ''))).size;
const errored = new Set(last.findings.filter((f) => f.severity === 'error').map((f) => f.file.replace(/\/[^/]+$/, '')))
  .size;

console.log(
  `lint: ${inputs.length} recipes, ${last.findings.length} findings, ${last.escaped.length} exception(s) escaped`,
);
console.log(
  `time: cold ${r1(cold.ms)} ms; warm median ${r1(median)} [${r1(times[0])}–${r1(times[times.length - 1])}] ms over ${RUNS} runs (goal < ${GOAL_MS} ms)`,
);
for (const row of rows)
  console.log(
    `  ${row.check.padEnd(40)} ${String(row.findings).padStart(5)} findings in ${String(row.recipes.size).padStart(4)} recipes`,
  );
for (const e of last.escaped.slice(0, 5)) console.log(`ESCAPED ${e}`);

const section = [
  '<!-- lint:start -->',
  '### lint-recipe on the public corpus (issue 21)',
  '',
  `Generated by \`npm run bench:lint\` (bench/lint.mjs) on ${new Date().toISOString()}, ${cpus()[0]?.model ?? '?'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}.`,
  `Plugin time: every meta.yaml of the corpus (${inputs.length} recipes) read through the reading layer and every check run, files read beforehand; the checks that need no network are on (the defaults and \`missing_run_exports\`).`,
  '',
  '| figure | value | goal |',
  '| --- | ---: | --- |',
  `| whole corpus, warm (median [min–max] of ${RUNS}) | ${r1(median)} [${r1(times[0])}–${r1(times[times.length - 1])}] ms | < ${GOAL_MS} ms |`,
  `| whole corpus, cold (first run: WASM Jinja loaded) | ${r1(cold.ms)} ms | < ${GOAL_MS} ms |`,
  `| per recipe, warm | ${(median / inputs.length).toFixed(3)} ms | reported |`,
  `| exceptions escaping | ${last.escaped.length} | 0 |`,
  `| recipes with a finding / with an error | ${withFindings} / ${errored} of ${inputs.length} | reported |`,
  '',
  '| check | default severity | findings | recipes |',
  '| --- | --- | ---: | ---: |',
  ...rows.map((r) => `| \`${r.check}\` | ${r.severity} | ${r.findings} | ${r.recipes.size} |`),
  '<!-- lint:end -->',
].join('\n');

const docFile = join(repo, 'docs', 'benchmarks.md');
const doc = existsSync(docFile) ? readFileSync(docFile, 'utf8') : '<!-- notes -->\n';
const start = doc.indexOf('<!-- lint:start -->');
const end = doc.indexOf('<!-- lint:end -->');
const next =
  start >= 0 && end > start
    ? doc.slice(0, start) + section + doc.slice(end + '<!-- lint:end -->'.length)
    : `${doc.trimEnd()}\n\n${section}\n`;
writeFileSync(docFile, next);
mkdirSync(join(repo, 'dist', 'bench'), { recursive: true });
writeFileSync(
  join(repo, 'dist', 'bench', 'lint.json'),
  JSON.stringify(
    {
      recipes: inputs.length,
      coldMs: cold.ms,
      warmMs: times,
      escaped: last.escaped,
      perCheck: rows.map((r) => ({ ...r, recipes: r.recipes.size })),
    },
    null,
    2,
  ) + '\n',
);
