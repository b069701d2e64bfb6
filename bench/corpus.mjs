// The recipe reader on the public corpus (../shared/corpus, see its README):
// files accepted, edges against the reference graph, and time (the YAML stage
// alone, and whole reads), median [min, max] of BENCH_RUNS runs in this process.
// Usage: node bench/corpus.mjs [built plugin folder holding lib/] (default: build
// this checkout into a temporary folder). Env: NX_CONDA_CORPUS, BENCH_RUNS (5).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusMetaYaml, findCorpus } from './corpus-files.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function buildLib() {
  const out = join(tmpdir(), `nx-conda-corpus-lib-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync(
    process.execPath,
    [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(out, 'lib')],
    {
      cwd: repo,
      stdio: 'inherit',
    },
  );
  symlinkSync(join(repo, 'node_modules'), join(out, 'node_modules'), 'dir');
  return out;
}

const pluginDir = process.argv[2] ? resolve(process.argv[2]) : buildLib();
if (!process.argv[2]) process.on('exit', () => rmSync(pluginDir, { recursive: true, force: true }));
const require = createRequire(join(pluginDir, 'lib', 'index.js'));
const { readRecipe } = require(join(pluginDir, 'lib', 'recipes', 'index.js'));
const { loadRecipeYaml } = require(join(pluginDir, 'lib', 'recipes', 'yaml.js'));
const { applySelectors, selectorNamespace } = require(join(pluginDir, 'lib', 'recipes', 'selectors.js'));
const { JinjaRenderer, condaBuildGlobals } = require(join(pluginDir, 'lib', 'recipes', 'jinja.js'));

const corpus = findCorpus();
if (!corpus) throw new Error('no shared/corpus found above the repository (set NX_CONDA_CORPUS)');
const recipesDir = join(corpus, 'conda-recipes');
const ref = JSON.parse(readFileSync(join(corpus, 'conda-recipes.reference-graph.json'), 'utf8'));

const files = corpusMetaYaml(recipesDir);
const texts = files.map((f) => readFileSync(join(recipesDir, f), 'utf8'));

// Accepted files and edges.
const infos = new Map();
const failed = [];
for (let i = 0; i < files.length; i++) {
  const root = dirname(files[i]);
  try {
    infos.set(root, readRecipe(files[i], texts[i], ref.platform));
  } catch (e) {
    failed.push(`${root}: ${e.reason ?? e.message}`);
  }
}
const providers = new Map();
for (const [root, info] of infos) for (const n of info.names) providers.set(n, [...(providers.get(n) ?? []), root]);
const ours = new Set();
for (const [root, info] of infos) {
  const { build, host, run } = info.requirements;
  for (const req of [...build, ...host, ...run])
    for (const p of providers.get(req) ?? []) if (p !== root) ours.add(`${p} ${root}`);
}
const reference = new Set(ref.edges.map(([a, b]) => `${a} ${b}`));
const common = [...ours].filter((e) => reference.has(e)).length;

// Time: the YAML stage alone (on text already rendered and selected), and whole reads.
const ns = selectorNamespace(ref.platform);
const jinja = new JinjaRenderer(() => ({ ...ns, ...condaBuildGlobals() }));
const selected = texts.map((t) => {
  try {
    return applySelectors(jinja.render(t, {}), ns);
  } catch {
    return undefined;
  }
});
function time(fn) {
  const xs = [];
  for (let r = 0; r < RUNS; r++) {
    const t = process.hrtime.bigint();
    fn();
    xs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  xs.sort((a, b) => a - b);
  return `${xs[Math.floor(xs.length / 2)].toFixed(0)} ms [${xs[0].toFixed(0)}, ${xs[xs.length - 1].toFixed(0)}]`;
}
let yamlOk = 0;
const yamlTime = time(() => {
  yamlOk = 0;
  for (let i = 0; i < files.length; i++) {
    if (selected[i] === undefined) continue;
    try {
      loadRecipeYaml(files[i], selected[i], '1.1');
      yamlOk++;
    } catch {
      // counted below
    }
  }
});
const readTime = time(() => {
  for (let i = 0; i < files.length; i++) {
    try {
      readRecipe(files[i], texts[i], ref.platform);
    } catch {
      // counted above
    }
  }
});

console.log(`plugin: ${pluginDir}`);
console.log(
  `recipes: ${files.length}; accepted: ${infos.size}; failed: ${failed.length} (reference: ${ref.failed.length})`,
);
for (const f of failed) console.log(`  failed ${f}`);
console.log(`YAML stage accepted ${yamlOk} of ${selected.filter((s) => s !== undefined).length} rendered files`);
console.log(
  `edges: ${ours.size} (reference ${reference.size}); precision ${((100 * common) / Math.max(1, ours.size)).toFixed(2)}%, ` +
    `recall ${((100 * common) / Math.max(1, reference.size)).toFixed(2)}%`,
);
console.log(`time, ${RUNS} runs, median [min, max]: YAML stage ${yamlTime}; whole reads ${readTime}`);
