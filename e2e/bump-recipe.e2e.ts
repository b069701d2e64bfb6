import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_ROOT } from './utils/paths';
import { startServer, type TestServer } from './utils/server';
import { createWorkspace, explain, expectSuccess, type Workspace } from './utils/workspace';

/**
 * Issue 32: bump-recipe run by real Nx from the packed plugin, against a
 * real HTTP server on loopback laid out as a package index (its JSON API at
 * /pypi/<name>/json, its files at /packages/source/...), recognised by the
 * URL's shape alone and asked on the URL's own host: --check over the tree
 * (one line per outdated recipe, exit non-zero), a recipe without a known
 * upstream reported, then the bump itself.
 */
const archive = Buffer.from('tool 1.2.0 sources\n');
const OLD = 'a'.repeat(64);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const recipe = (url: string) => `{% set version = "1.1.0" %}
# a comment that stays
package:
  name: tool
  version: '{{ version }}'

source:
  url: ${url}
  sha256: ${OLD}  # checksum

build:
  number: 3
  noarch: generic
`;

const TARGET = JSON.stringify({ targets: { 'bump-recipe': { executor: 'nx-conda:bump-recipe' } } });

describe('bump-recipe', () => {
  let ws: Workspace;
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(E2E_ROOT, 'bump-index-'));
    mkdirSync(join(dir, 'pypi/tool'), { recursive: true });
    writeFileSync(
      join(dir, 'pypi/tool/json'),
      JSON.stringify({
        releases: {
          '1.1.0': [{ filename: 'tool-1.1.0.tar.gz', size: 10, digests: { sha256: OLD } }],
          '1.2.0': [{ filename: 'tool-1.2.0.tar.gz', size: archive.length, digests: { sha256: sha256(archive) } }],
          '1.3.0rc1': [{ filename: 'tool-1.3.0rc1.tar.gz', size: 1 }],
        },
      }),
    );
    mkdirSync(join(dir, 'packages/source/t/tool'), { recursive: true });
    writeFileSync(join(dir, 'packages/source/t/tool/tool-1.2.0.tar.gz'), archive);
    server = await startServer('static', dir);
    url = `${server.url}/packages/source/t/tool/tool-{{ version }}.tar.gz`;
    ws = createWorkspace('bump-recipe', { plugins: ['nx-conda'] });
    ws.write('recipes/tool/meta.yaml', recipe(url));
    ws.write('recipes/tool/project.json', TARGET);
    ws.write(
      'recipes/other/meta.yaml',
      recipe('https://example.org/v{{ version }}/other.tar.gz').replace('tool', 'other'),
    );
    ws.write('recipes/other/project.json', TARGET);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('--check over the tree: one line for the outdated recipe, exit non-zero; no upstream is a report', () => {
    const result = ws.nx(['run-many', '-t', 'bump-recipe', '--check']);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain('recipes/tool/meta.yaml: 1.1.0 -> 1.2.0 (pypi:tool)');
    expect(result.stdout).toMatch(
      /recipes\/other\/meta\.yaml: no known upstream for https:\/\/example\.org\/v1\.1\.0\/other\.tar\.gz/,
    );
    expect(result.output).toMatch(/Failed tasks:\s+- tool:bump-recipe\s/);
    expect(ws.read('recipes/tool/meta.yaml')).toBe(recipe(url));
    expect(server.requests().filter((r) => r.startsWith('GET /pypi/tool/json'))).toHaveLength(1);
    expect(server.requests().some((r) => r.includes('.tar.gz'))).toBe(false);
  });

  it('bumps version, checksum and build number, nothing else, with the JSON summary as its last line', () => {
    const result = ws.nx(['run', 'tool:bump-recipe', '--format=json']);
    expectSuccess(result);
    expect(ws.read('recipes/tool/meta.yaml')).toBe(
      recipe(url).replace('"1.1.0"', '"1.2.0"').replace(OLD, sha256(archive)).replace('number: 3', 'number: 0'),
    );
    const json = result.stdout
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith('{"project"'));
    expect(JSON.parse(json ?? 'null')).toEqual({
      project: 'tool',
      file: 'recipes/tool/meta.yaml',
      status: 'bumped',
      current: '1.1.0',
      newest: '1.2.0',
      upstream: 'pypi:tool',
    });
    const again = ws.nx(['run', 'tool:bump-recipe', '--check']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('recipes/tool/meta.yaml: 1.2.0 is up to date (pypi:tool).');
    expect(explain(again)).not.toMatch(/local cache/);
  });
});
