import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createWorkspace, explain, expectSuccess, type NxResult, type Workspace } from './utils/workspace';

/**
 * Issue 21: lint-recipe, inferred for every recipe, run by real Nx from the
 * packed plugin, without a container: exit code, lint.json, the JSON last
 * line, SARIF, the cache, --fix, and lintBeforeBuild.
 */
const GOOD = `{% set version = "1.0" %}
package:
  name: good
  version: {{ version }}
source:
  url: https://example.org/good-{{ version }}.tar.gz
  sha256: 0123
build:
  number: 0
  noarch: generic
requirements:
  run:
    - bash >=5
test:
  commands:
    - good --help
about:
  home: https://example.org
  license: MIT
  license_file: LICENSE
  summary: A good recipe
`;

/**
 * The JSON array the target printed as its last line: the last line of the
 * task's output before Nx's own lines (Nx may print its closing lines and
 * notices after it).
 */
function lastTaskLine(result: NxResult): string {
  const lines = result.stdout.split('\n').map((l) => l.trim());
  const summary = lines.findIndex((l) => /error\(s\), \d+ warning\(s\)/.test(l));
  return lines.slice(summary + 1).find((l) => l !== '') ?? '';
}

describe('lint-recipe', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = createWorkspace('lint-recipe', {
      plugins: [{ plugin: 'nx-conda', options: { lintBeforeBuild: true, lint: { rules: { uses_vcs_url: 'error' } } } }],
    });
    ws.write('recipes/good/meta.yaml', GOOD);
    ws.write('recipes/bad/meta.yaml', GOOD.replace('good', 'bad').replace('  home: https://example.org\n', ''));
    // Warnings only (should_be_noarch_generic): the target passes.
    ws.write('recipes/warned/meta.yaml', GOOD.replace('good', 'warned').replace('  noarch: generic\n', ''));
    ws.write('recipes/fixme/meta.yaml', GOOD.replace('good', 'fixme').replace('bash >=5', 'bash>=5'));
    ws.write(
      'recipes/skipped/meta.yaml',
      `${GOOD.replace('good', 'skipped').replace('  home: https://example.org\n', '')}extra:\n  skip-lints:\n    - missing_home\n`,
    );
  });

  it('passes on a good recipe, writes an empty lint.json, and is cached', () => {
    const first = ws.nx(['run', 'good:lint-recipe']);
    expectSuccess(first);
    expect(first.stdout).toMatch(/recipes\/good\/meta\.yaml: no findings/);
    expect(JSON.parse(ws.read('dist/lint/recipes/good/lint.json'))).toEqual([]);
    const second = ws.nx(['run', 'good:lint-recipe']);
    expectSuccess(second);
    expect(second.output).toMatch(/local cache|existing outputs match the cache/);
  });

  it('fails on an error, prints file:line, and with --format=json prints the findings as its last line and in lint.json', () => {
    const result = ws.nx(['run', 'bad:lint-recipe', '--format=json']);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/recipes\/bad\/meta\.yaml:17: error missing_home: add about: home:/);
    const printed = JSON.parse(lastTaskLine(result));
    const written = JSON.parse(ws.read('dist/lint/recipes/bad/lint.json'));
    expect(printed).toEqual(written);
    expect(written).toEqual([
      {
        check: 'missing_home',
        severity: 'error',
        message: expect.stringMatching(/^add about: home:/),
        file: 'recipes/bad/meta.yaml',
        line: 17,
      },
    ]);
  });

  it('passes with warnings only, and honours extra: skip-lints', () => {
    const warned = ws.nx(['run', 'warned:lint-recipe']);
    expectSuccess(warned);
    expect(warned.stdout).toMatch(/recipes\/warned\/meta\.yaml:8: warning should_be_noarch_generic/);
    expectSuccess(ws.nx(['run', 'skipped:lint-recipe']));
    expect(JSON.parse(ws.read('dist/lint/recipes/skipped/lint.json'))).toEqual([]);
  });

  it('writes SARIF with --format=sarif', () => {
    ws.nx(['run', 'bad:lint-recipe', '--format=sarif', '--skip-nx-cache']);
    const sarif = JSON.parse(ws.read('dist/lint/recipes/bad/lint.sarif'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results[0]).toMatchObject({
      ruleId: 'missing_home',
      level: 'error',
      locations: [
        { physicalLocation: { artifactLocation: { uri: 'recipes/bad/meta.yaml' }, region: { startLine: 17 } } },
      ],
    });
  });

  it('--fix rewrites the whitespace of a version constraint, and the recipe then passes', () => {
    const before = ws.nx(['run', 'fixme:lint-recipe', '--skip-nx-cache']);
    expect(before.code).not.toBe(0);
    const fixed = ws.nx(['run', 'fixme:lint-recipe', '--fix', '--skip-nx-cache']);
    expectSuccess(fixed);
    expect(ws.read('recipes/fixme/meta.yaml')).toBe(GOOD.replace('good', 'fixme'));
  });

  it('with lintBeforeBuild, a recipe with a lint error is not built', () => {
    const result = ws.nx(['run', 'bad:build-recipe']);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/missing_home/);
    // The build never started: it would have written its output folder.
    expect(existsSync(join(ws.root, 'dist/conda/recipes/bad'))).toBe(false);
    expect(result.output).not.toMatch(/nx run bad:build-recipe\s*\n[\s\S]*(container|docker)/i);
    if (/Successfully ran/.test(result.output)) throw new Error(explain(result));
  });
});
