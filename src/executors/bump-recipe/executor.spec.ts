// Issue 32, points 1, 3 and 4: the bump-recipe executor against loopback upstreams.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withUpstreamOriginsForTests } from '../../upstream';
import { bytes, json, loopback, type Handler, type Loopback } from '../../upstream/loopback.test';
import { captureOutput, executorContext, tempWorkspace } from '../executor-spec.test';
import type { TaskGraph } from '@nx/devkit';
import type { BatchTaskResult } from '../batch';
import bumpRecipeBatch from './batch';
import bumpRecipeExecutor from './executor';
import type { BumpRecipeExecutorSchema } from './schema';

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const OLD = 'a'.repeat(64);
const archive = Buffer.from('tool 1.2.0 sources');

const META = [
  '{% set version = "1.1.0" %}',
  '# a comment that stays',
  'package:',
  '  name: tool',
  "  version: '{{ version }}'",
  '',
  'source:',
  '  url: https://pypi.example.invalid/packages/source/t/tool/tool-{{ version }}.tar.gz',
  `  sha256: ${OLD}  # checksum`,
  '',
  'build:',
  '  number: 3',
  '  noarch: python',
  '',
].join('\n');

const pypiJson = (files: Record<string, unknown>) =>
  json({
    releases: {
      '1.1.0': [{ filename: 'tool-1.1.0.tar.gz', size: 5, digests: { sha256: OLD } }],
      '1.2.0': [
        { filename: 'tool-1.2.0.tar.gz', size: archive.length, digests: { sha256: sha256(archive) }, ...files },
      ],
      '1.3.0rc1': [{ filename: 'tool-1.3.0rc1.tar.gz', size: 1 }],
    },
  });

const servers: Loopback[] = [];
let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace('bump');
  mkdirSync(join(ws.root, 'recipes/tool'), { recursive: true });
});
afterEach(async () => {
  ws.remove();
  for (const s of servers.splice(0)) await s.close();
});

async function pypi(routes: Record<string, Handler>): Promise<Loopback> {
  const s = await loopback(new Map(Object.entries(routes)));
  servers.push(s);
  return s;
}

function context() {
  return executorContext(ws.root, 'tool', {
    nodes: { tool: { name: 'tool', type: 'lib', data: { root: 'recipes/tool' } } },
    dependencies: {},
  });
}

async function run(options: BumpRecipeExecutorSchema, s: Loopback, file = 'meta.yaml', text = META) {
  writeFileSync(join(ws.root, 'recipes/tool', file), text);
  const out = captureOutput();
  try {
    const origins = new Map([
      ['https://pypi.example.invalid', s.origin],
      ['https://files.example.invalid', s.origin],
    ]);
    const result = await withUpstreamOriginsForTests(origins, () => bumpRecipeExecutor(options, context()));
    const lines = out.streamed.join('').split('\n').filter(Boolean);
    return { ...result, lines, errors: out.error, after: readFileSync(join(ws.root, 'recipes/tool', file), 'utf8') };
  } finally {
    out.restore();
  }
}

const normal = () => ({
  '/pypi/tool/json': pypiJson({}),
  '/packages/source/t/tool/tool-1.2.0.tar.gz': bytes(archive),
});

describe('bump-recipe', () => {
  it('bumps version, checksum and build number, and nothing else, with a JSON summary last', async () => {
    const s = await pypi(normal());
    const r = await run({ format: 'json' }, s);
    expect(r.success).toBe(true);
    expect(r.after).toBe(
      META.replace('"1.1.0"', '"1.2.0"').replace(OLD, sha256(archive)).replace('number: 3', 'number: 0'),
    );
    expect(r.lines[r.lines.length - 2]).toBe(
      'recipes/tool/meta.yaml: bumped 1.1.0 -> 1.2.0 (pypi:tool); checksums of 1 source; build number reset.',
    );
    expect(JSON.parse(r.lines[r.lines.length - 1])).toEqual({
      project: 'tool',
      file: 'recipes/tool/meta.yaml',
      status: 'bumped',
      current: '1.1.0',
      newest: '1.2.0',
      upstream: 'pypi:tool',
    });
  });

  it('--check: one line and a failure when outdated, nothing downloaded or written', async () => {
    const s = await pypi(normal());
    const r = await run({ check: true }, s);
    expect(r.success).toBe(false);
    expect(r.lines).toEqual(['recipes/tool/meta.yaml: 1.1.0 -> 1.2.0 (pypi:tool)']);
    expect(r.after).toBe(META);
    expect(s.seen.map((x) => x.path)).toEqual(['/pypi/tool/json']);
  });

  it('--check: success when up to date; pre-releases only when asked', async () => {
    const s = await pypi(normal());
    const up = await run({ check: true }, s, 'meta.yaml', META.replace('"1.1.0"', '"1.2.0"'));
    expect(up.success).toBe(true);
    expect(up.lines).toEqual(['recipes/tool/meta.yaml: 1.2.0 is up to date (pypi:tool).']);
    const pre = await run({ check: true, includePrerelease: true }, s, 'meta.yaml', META.replace('"1.1.0"', '"1.2.0"'));
    expect(pre.lines).toEqual(['recipes/tool/meta.yaml: 1.2.0 -> 1.3.0rc1 (pypi:tool)']);
  });

  it('reports a recipe without a known upstream, and does not fail', async () => {
    const s = await pypi({});
    const text = META.replace(
      'https://pypi.example.invalid/packages/source/t/tool/tool-{{ version }}.tar.gz',
      'https://example.org/v{{ version }}/tool.tar.gz',
    );
    const r = await run({ check: true, format: 'json' }, s, 'meta.yaml', text);
    expect(r.success).toBe(true);
    expect(r.lines[0]).toBe(
      'recipes/tool/meta.yaml: no known upstream for https://example.org/v1.1.0/tool.tar.gz; not checked.',
    );
    expect(JSON.parse(r.lines[1])).toMatchObject({ status: 'no-upstream', current: '1.1.0' });
  });

  it('a guessed listing that is not one is no upstream, with the reason', async () => {
    const s = await pypi({
      '/tool/': bytes('<html><a href="README">README</a></html>', { 'content-type': 'text/html' }),
    });
    const listed = META.replace(
      'https://pypi.example.invalid/packages/source/t/tool/tool-{{ version }}.tar.gz',
      'https://files.example.invalid/tool/tool-{{ version }}.tar.gz',
    );
    const none = await run({ check: true }, s, 'meta.yaml', listed);
    expect(none.success).toBe(true);
    expect(none.lines).toEqual([
      "recipes/tool/meta.yaml: no known upstream for https://files.example.invalid/tool/tool-1.1.0.tar.gz (listing:https://files.example.invalid/tool/ names no release of the URL's shape); not checked.",
    ]);
    const missing = await run({ check: true }, s, 'meta.yaml', listed.replace('/tool/tool-', '/gone/tool-'));
    expect(missing.success).toBe(true);
    expect(missing.lines).toEqual([
      'recipes/tool/meta.yaml: no known upstream for https://files.example.invalid/gone/tool-1.1.0.tar.gz (https://files.example.invalid/gone/ answered 404); not checked.',
    ]);
  });

  it('--dryRun prints the diff and writes nothing; --keepBuildNumber keeps it', async () => {
    const s = await pypi(normal());
    const r = await run({ dryRun: true, keepBuildNumber: true }, s);
    expect(r.success).toBe(true);
    expect(r.after).toBe(META);
    expect(r.lines).toEqual([
      '--- a/recipes/tool/meta.yaml',
      '+++ b/recipes/tool/meta.yaml',
      '@@ -1,2 +1,2 @@',
      '-{% set version = "1.1.0" %}',
      '+{% set version = "1.2.0" %}',
      ' # a comment that stays',
      '@@ -8,3 +8,3 @@',
      '   url: https://pypi.example.invalid/packages/source/t/tool/tool-{{ version }}.tar.gz',
      `-  sha256: ${OLD}  # checksum`,
      `+  sha256: ${sha256(archive)}  # checksum`,
      ' ',
      'recipes/tool/meta.yaml: would bump 1.1.0 -> 1.2.0 (pypi:tool); checksums of 1 source; build number kept.',
    ]);
  });

  it('--newVersion bumps to the version given', async () => {
    const s = await pypi({ '/packages/source/t/tool/tool-1.1.5.tar.gz': bytes('x') });
    const r = await run({ newVersion: '1.1.5' }, s);
    expect(r.success).toBe(true);
    expect(r.after).toContain('{% set version = "1.1.5" %}');
    expect(r.after).toContain(`sha256: ${sha256('x')}  # checksum`);
    const bad = await run({ newVersion: '1.2 %}{{ evil' }, s);
    expect(bad.success).toBe(false);
    expect(bad.errors.join('\n')).toMatch(/is not a version/);
  });

  it('rewrites a recipe.yaml (context: version)', async () => {
    const s = await pypi(normal());
    const v1 = [
      'context:',
      '  name: tool',
      '  version: "1.1.0"',
      'package:',
      '  name: ${{ name }}',
      '  version: ${{ version }}',
      'source:',
      '  url: https://pypi.example.invalid/packages/source/t/tool/tool-${{ version }}.tar.gz',
      `  sha256: ${OLD}`,
      'build:',
      '  number: 1',
      '',
    ].join('\n');
    const r = await run({}, s, 'recipe.yaml', v1);
    expect(r.success).toBe(true);
    expect(r.after).toBe(
      v1.replace('"1.1.0"', '"1.2.0"').replace(OLD, sha256(archive)).replace('number: 1', 'number: 0'),
    );
  });

  describe('bad answers: a clear error for the recipe, the file untouched', () => {
    it('a download that is not what PyPI announced', async () => {
      const s = await pypi({
        '/pypi/tool/json': pypiJson({}),
        '/packages/source/t/tool/tool-1.2.0.tar.gz': bytes('tampered with'),
      });
      const r = await run({ format: 'json' }, s);
      expect(r.success).toBe(false);
      expect(r.after).toBe(META);
      expect(r.errors.join('\n')).toMatch(
        /tool-1\.2\.0\.tar\.gz: downloaded 13 bytes, but the upstream announces 18; not taken/,
      );
      expect(JSON.parse(r.lines[r.lines.length - 1])).toMatchObject({
        status: 'error',
        current: '1.1.0',
        error: expect.stringMatching(/announces 18/),
      });
    });

    it('a download that is missing', async () => {
      const s = await pypi({ '/pypi/tool/json': pypiJson({}) });
      const r = await run({}, s);
      expect(r.success).toBe(false);
      expect(r.after).toBe(META);
      expect(r.errors.join('\n')).toMatch(
        /downloading https:\/\/pypi\.example\.invalid\/.*tool-1\.2\.0\.tar\.gz: the server answered 404/,
      );
    });

    it('malformed JSON', async () => {
      const s = await pypi({ '/pypi/tool/json': bytes('<html>', { 'content-type': 'text/html' }) });
      const r = await run({ check: true }, s);
      expect(r.success).toBe(false);
      expect(r.errors.join('\n')).toMatch(/PyPI project tool: .* answered with something that is not JSON/);
    });
  });

  it('as a batch: one line per outdated recipe, each task its own result, each upstream URL asked once', async () => {
    const s = await pypi(normal());
    mkdirSync(join(ws.root, 'recipes/tool2'), { recursive: true });
    writeFileSync(join(ws.root, 'recipes/tool/meta.yaml'), META);
    // A second recipe of the same upstream package (another variant), already current.
    writeFileSync(join(ws.root, 'recipes/tool2/meta.yaml'), META.replace('"1.1.0"', '"1.2.0"'));
    const graph = {
      nodes: {
        tool: { name: 'tool', type: 'lib' as const, data: { root: 'recipes/tool' } },
        tool2: { name: 'tool2', type: 'lib' as const, data: { root: 'recipes/tool2' } },
      },
      dependencies: {},
    };
    const task = (project: string) => ({
      id: `${project}:bump-recipe`,
      target: { project, target: 'bump-recipe' },
      overrides: {},
      outputs: [],
      parallelism: true,
    });
    const taskGraph = {
      roots: ['tool:bump-recipe', 'tool2:bump-recipe'],
      tasks: { 'tool:bump-recipe': task('tool'), 'tool2:bump-recipe': task('tool2') },
      dependencies: { 'tool:bump-recipe': [], 'tool2:bump-recipe': [] },
    } as unknown as TaskGraph;
    const inputs = { 'tool:bump-recipe': { check: true }, 'tool2:bump-recipe': { check: true } };
    const out = captureOutput();
    const results: BatchTaskResult[] = [];
    try {
      await withUpstreamOriginsForTests(new Map([['https://pypi.example.invalid', s.origin]]), async () => {
        for await (const r of bumpRecipeBatch(taskGraph, inputs, {}, executorContext(ws.root, 'tool', graph)))
          results.push(r);
      });
    } finally {
      out.restore();
    }
    expect(results.map((r) => [r.task, r.result.success, r.result.terminalOutput]).sort()).toEqual([
      ['tool2:bump-recipe', true, 'recipes/tool2/meta.yaml: 1.2.0 is up to date (pypi:tool).\n'],
      ['tool:bump-recipe', false, 'recipes/tool/meta.yaml: 1.1.0 -> 1.2.0 (pypi:tool)\n'],
    ]);
    expect(s.seen.map((x) => x.path)).toEqual(['/pypi/tool/json']);
  });
});
