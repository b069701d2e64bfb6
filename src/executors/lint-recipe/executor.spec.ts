import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeEngine } from '../../container/fake-engine.test';
import { captureOutput, executorContext, tempWorkspace } from '../executor-spec.test';
import lintRecipeExecutor from './executor';
import type { LintRecipeExecutorSchema } from './schema';

const RECIPE = [
  'package:',
  '  name: one',
  '  version: "0.1"',
  'source:',
  '  url: https://somewhere.invalid/one-0.1.tar.gz',
  '  sha256: 0000000000000000000000000000000000000000000000000000000000000000',
  'build:',
  '  noarch: generic',
  '  number: 0',
  '  run_exports:',
  "    - {{ pin_subpackage('one') }}",
  'test:',
  '  commands:',
  '    - one --version',
  'about:',
  '  license: BSD',
  '  license_file: LICENSE',
  '  home: https://elsewhere.invalid',
  '  summary: the summary',
  '',
].join('\n');

describe('lint-recipe executor (no container: the engine is never asked)', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let out: ReturnType<typeof captureOutput>;
  let engine: FakeEngine;
  beforeEach(() => {
    ws = tempWorkspace('lint-recipe');
    out = captureOutput();
    mkdirSync(join(ws.root, 'recipes', 'one'), { recursive: true });
    engine = new FakeEngine();
  });
  afterEach(() => {
    out.restore();
    ws.remove();
  });
  const graph = {
    nodes: { one: { name: 'one', type: 'lib' as const, data: { root: 'recipes/one', targets: {} } } },
    dependencies: {},
  };
  const run = (recipe: string, options: LintRecipeExecutorSchema = {}) => {
    writeFileSync(join(ws.root, 'recipes', 'one', 'meta.yaml'), recipe);
    return engine.run(() => lintRecipeExecutor(options, executorContext(ws.root, 'one', graph, 'lint-recipe')));
  };
  const lintJson = () => JSON.parse(readFileSync(join(ws.root, 'dist', 'lint', 'recipes', 'one', 'lint.json'), 'utf8'));

  it('a clean recipe passes, with no findings in lint.json and on the terminal', async () => {
    await expect(run(RECIPE)).resolves.toEqual({ success: true });
    expect(lintJson()).toEqual([]);
    expect(out.streamed.join('')).toBe('recipes/one/meta.yaml: no findings\n0 error(s), 0 warning(s), 0 info\n');
    expect(engine.calls).toEqual([]);
  });

  // Issue 31, point 10: a recipe over the limit is too large, not missing (the graph says the same).
  it('a 50 MB meta.yaml is reported as too large, unread', async () => {
    await expect(run(`${RECIPE}# ${'z'.repeat(50 * 1024 * 1024)}\n`)).resolves.toEqual({ success: false });
    expect(out.error).toEqual([
      "nx-conda: lint-recipe: recipes/one/meta.yaml: the file is 51201 KB, over nx-conda's limit of 512 KB for a recipe; nothing was linted.",
    ]);
  });

  it('an error fails the task; the finding is in lint.json and on the terminal with its line', async () => {
    await expect(run(RECIPE.replace('  home: https://elsewhere.invalid\n', ''))).resolves.toEqual({ success: false });
    expect(lintJson()).toEqual([expect.objectContaining({ check: 'missing_home', file: 'recipes/one/meta.yaml' })]);
    expect(out.streamed.join('')).toMatch(/^ {2}recipes\/one\/meta\.yaml:\d+: error missing_home: /m);
    expect(engine.calls).toEqual([]);
  });

  it('sarif also writes lint.sarif; a bad format is a user error before anything is written', async () => {
    await expect(run(RECIPE, { format: 'sarif' })).resolves.toEqual({ success: true });
    expect(existsSync(join(ws.root, 'dist', 'lint', 'recipes', 'one', 'lint.sarif'))).toBe(true);
    await expect(run(RECIPE, { format: 'xml' as never, outputPath: 'dist/other' })).resolves.toEqual({
      success: false,
    });
    expect(out.error).toEqual(['nx-conda: lint-recipe: --format=xml is not one of text, json, sarif.']);
    expect(existsSync(join(ws.root, 'dist', 'other'))).toBe(false);
  });
});
