/**
 * The graph of ../shared/corpus/conda-recipes (1,601 real meta.yaml files)
 * against the reference graph computed independently in Python (linux-64).
 *
 * Documented differences: none on this corpus. Our rules that could differ
 * from the reference's (none changes an edge here; the exact counts below make any
 * regression fail):
 * - SELECTOR_ERRORS: a `# [...]` selector we cannot evaluate is false (conda-build
 *   stops); a bare trailing `[...]` we cannot evaluate is not a selector. 0 edges.
 * - BARE_BRACKET_SELECTORS: like conda-build (and unlike a reading limited to
 *   `# [expr]`), a line ending in `[expr]` without `#` is a selector too. 0 edges.
 * Both classes change no edge of this corpus: the edge sets are equal.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createDependencies } from '../index';
import { createNodes } from './create-nodes';
import { recipeEdges } from './create-dependencies';
import { normalizeOptions } from './options';
import { readWorkspaceRecipes } from './recipes-state';

/** `shared/corpus` beside the repository (or beside a folder above it, else /work/shared/corpus); NX_CONDA_CORPUS wins. */
function findCorpus(): string {
  if (process.env.NX_CONDA_CORPUS) return resolve(process.env.NX_CONDA_CORPUS);
  for (let dir = resolve(__dirname, '..', '..', '..'); ; dir = dirname(dir)) {
    const c = join(dir, 'shared', 'corpus');
    if (existsSync(c)) return c;
    // A checkout made elsewhere (a clone in /tmp): the workplace's shared folder, as e2e/images/build.sh finds the conda wheels.
    if (dirname(dir) === dir) return existsSync('/work/shared/corpus') ? '/work/shared/corpus' : c;
  }
}
const corpus = findCorpus();
const recipesDir = join(corpus, 'conda-recipes');
const present = existsSync(join(corpus, 'conda-recipes.reference-graph.json'));
/** In CI (CI or NX_CONDA_CORPUS_REQUIRED set, as .ci/run does) a missing corpus fails; elsewhere the tests skip, saying why. */
const required = Boolean(process.env.CI || process.env.NX_CONDA_CORPUS_REQUIRED);
const absent = `${corpus} is absent (it sits beside the repository as shared/corpus; NX_CONDA_CORPUS names another place)`;
if (!present && required) {
  describe('corpus conda-recipes', () => {
    it('is present: CI must run the corpus tests', () => {
      throw new Error(`corpus tests cannot run: ${absent}`);
    });
  });
} else if (!present) {
  console.warn(`corpus tests skipped: ${absent}`);
}
const maybe = present ? describe : describe.skip;

function findMetaYaml(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const abs = join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(abs).isDirectory()) out.push(...findMetaYaml(abs, r));
    else if (name === 'meta.yaml') out.push(r);
  }
  return out;
}

interface Reference {
  platform: string;
  recipes: number;
  parsed: number;
  failed: string[];
  edges: [string, string][];
}

maybe('corpus conda-recipes vs reference graph', () => {
  const ref: Reference = present
    ? JSON.parse(readFileSync(join(corpus, 'conda-recipes.reference-graph.json'), 'utf8'))
    : { platform: '', recipes: 0, parsed: 0, failed: [], edges: [] };
  let files: string[] = [];
  let warnSpy: jest.SpyInstance;

  beforeAll(() => {
    process.env.NX_WORKSPACE_DATA_DIRECTORY = resolve(__dirname, '..', '..', 'tmp', 'corpus-workspace-data');
    files = findMetaYaml(recipesDir).sort();
  });
  beforeEach(() => {
    warnSpy = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warnSpy.mockRestore());
  afterAll(() => {
    delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
  });

  it('finds every recipe', () => {
    expect(files).toHaveLength(ref.recipes);
  });

  it('reports the four broken recipes with file and reason, and keeps every other project', async () => {
    const results = await createNodes[1](
      files,
      { platform: 'linux-64' },
      {
        workspaceRoot: recipesDir,
        nxJsonConfiguration: {},
      },
    );
    const roots = results.flatMap(([, r]) => Object.keys(r.projects ?? {}));
    expect(roots).toHaveLength(ref.parsed);
    const names = results.flatMap(([, r]) => Object.values(r.projects ?? {}).map((p) => p.name));
    expect(new Set(names).size).toBe(ref.parsed);
    const messages = warnSpy.mock.calls.map((c) => String(c[0]));
    for (const failed of ref.failed) {
      expect(messages.some((m) => m.includes(`skipping recipe ${failed}/meta.yaml`))).toBe(true);
    }
    expect(messages.filter((m) => m.includes('skipping recipe'))).toHaveLength(ref.failed.length);
    // line numbers where the reader knows them
    expect(messages.some((m) => m.includes('msys2/m2w64-muparser/meta.yaml:10: Jinja'))).toBe(true);
    expect(messages.some((m) => m.includes('python/pyomo/meta.yaml:36: YAML'))).toBe(true);
  });

  it('has the reference edges except the documented differences', () => {
    const state = readWorkspaceRecipes(recipesDir, files, normalizeOptions({ platform: ref.platform }));
    const failed = [...state.byRoot.values()]
      .filter((e) => !e.outcome.ok)
      .map((e) => e.root)
      .sort();
    expect(failed).toEqual([...ref.failed].sort());

    // Compare by recipe folder (the reference's ids).
    const edges = recipeEdges(state, (root) => root);
    const ours = new Set(edges.map((e) => `${e.target} ${e.source}`));
    const reference = new Set(ref.edges.map(([a, b]) => `${a} ${b}`));
    const extra = [...ours].filter((e) => !reference.has(e));
    const missing = [...reference].filter((e) => !ours.has(e));
    expect(extra).toEqual([]);

    expect({ extra: extra.length, missing: missing.length, total: ours.size }).toEqual({
      extra: 0,
      missing: 0,
      total: 6929,
    });
  });

  it('createDependencies returns static edges with the recipe file as source file', async () => {
    const results = await createNodes[1](
      files,
      { platform: 'linux-64' },
      {
        workspaceRoot: recipesDir,
        nxJsonConfiguration: {},
      },
    );
    const projects = Object.fromEntries(
      results.flatMap(([, r]) => Object.entries(r.projects ?? {}).map(([root, p]) => [p.name!, { ...p, root }])),
    );
    const deps = await createDependencies(
      { platform: 'linux-64' },
      {
        projects,
        externalNodes: {},
        workspaceRoot: recipesDir,
        nxJsonConfiguration: {},
        fileMap: { projectFileMap: {}, nonProjectFiles: [] },
        filesToProcess: { projectFileMap: {}, nonProjectFiles: [] },
      },
    );
    expect(deps.length).toBe(6929);
    const d = deps.find((x) => x.source === 'automake' && x.target === 'autoconf');
    expect(d).toEqual({ source: 'automake', target: 'autoconf', sourceFile: 'automake/meta.yaml', type: 'static' });
  });
});
