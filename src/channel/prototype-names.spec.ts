/**
 * Names from outside (upstream repodata records, recipe package and project
 * names) that are Object.prototype's own must not break any index keyed by
 * them (issue 18, point 2): `constructor` is a real conda-forge package, and
 * an upstream record named so made every skipExisting lookup throw
 * `TypeError: list.includes is not a function`.
 */
import type { ProjectGraph } from '@nx/devkit';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readRecipe } from '../recipes';
import { dependencyOutputs } from './dependencies';
import { gatherChannel } from './gather';
import { emptyRepodata, writeRepodata } from './repodata';
import { compactIndex, upstreamIndex } from './repodata-cache';
import { hasPackage, lookupExisting } from './skip-existing';
import { recordOwnedPackages, removeOwnedPackages } from './staging';

const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const roots: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  roots.push(dir);
  return dir;
};
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

const repodataText = (names: string[]) =>
  JSON.stringify({
    info: { subdir: 'noarch' },
    packages: {},
    'packages.conda': Object.fromEntries(
      names.map((name) => [`${name}-1-0.conda`, { name, version: '1', build: '0', build_number: 0 }]),
    ),
    repodata_version: 1,
  });

describe('the upstream index (skipExisting) with Object.prototype names', () => {
  it('indexes records of every such name, and finds each (or not) without a TypeError', () => {
    const index = compactIndex(repodataText(NAMES), 'x');
    for (const name of NAMES) expect(Object.prototype.hasOwnProperty.call(index, name)).toBe(true);
    const sub = { channel: 'c', subdir: 'noarch', index, how: 'downloaded' as const, bytes: 0 };
    for (const name of NAMES) {
      expect(hasPackage(sub, { name, version: '1', buildNumber: 0 })).toBe(true);
      expect(hasPackage(sub, { name, version: '2', buildNumber: 0 })).toBe(false);
    }
    const none = { ...sub, index: compactIndex(repodataText(['zlib']), 'x') };
    for (const name of NAMES) expect(hasPackage(none, { name, version: '1', buildNumber: 0 })).toBe(false);
  });

  it('looks up through the on-disk cache (a JSON round trip) a recipe named constructor in a channel without it, and one with it', async () => {
    const channel = temp('nx-conda-proto-channel-');
    mkdirSync(join(channel, 'noarch'));
    writeFileSync(join(channel, 'noarch', 'repodata.json'), repodataText(['__proto__', 'toString', 'zlib']));
    const cacheRoot = temp('nx-conda-proto-cache-');
    const url = pathToFileURL(channel).href;
    const packages = [{ name: 'constructor', version: '1', buildNumber: 0 }];
    // Twice: the second run reads the index back from the cache file.
    for (const runId of ['r1', 'r2']) {
      const found = await lookupExisting(packages, [url], 'noarch', { cacheRoot, runId });
      expect(found.all).toBe(false);
    }
    writeFileSync(join(channel, 'noarch', 'repodata.json'), repodataText(['constructor', '__proto__']));
    const found = await lookupExisting(packages, [url], 'noarch', { cacheRoot, runId: 'r3' });
    expect(found.all).toBe(true);
    const cached = await upstreamIndex(url, 'noarch', { cacheRoot, runId: 'r3' });
    expect(cached.how).toBe('this-run');
    expect(hasPackage(cached, { name: '__proto__', version: '1', buildNumber: 0 })).toBe(true);
    expect(hasPackage(cached, { name: 'tostring', version: '1', buildNumber: 0 })).toBe(false);
  });
});

describe('channel state, owners and the dependency walk with Object.prototype names', () => {
  it('gathers packages and projects named constructor and __proto__', () => {
    const root = temp('nx-conda-proto-gather-');
    const sources = ['constructor', '__proto__', 'tostring'].map((project) => {
      const dir = join(root, 'dist', project);
      mkdirSync(join(dir, 'noarch'), { recursive: true });
      const index = emptyRepodata('noarch');
      const file = `${project}-1-0.conda`;
      writeFileSync(join(dir, 'noarch', file), project);
      index['packages.conda'][file] = { name: project, version: '1', build: '0', size: project.length };
      writeRepodata(join(dir, 'noarch'), index);
      return { project, dir };
    });
    const channel = join(root, 'channel');
    const known = new Set(sources.map((s) => s.project));
    expect(gatherChannel(channel, sources, known).added.sort()).toEqual([
      'noarch/__proto__-1-0.conda',
      'noarch/constructor-1-0.conda',
      'noarch/tostring-1-0.conda',
    ]);
    expect(gatherChannel(channel, sources, known)).toMatchObject({ added: [], unchanged: 3 });
    const listed = JSON.parse(readFileSync(join(channel, 'noarch', 'repodata.json'), 'utf8'))['packages.conda'];
    expect(Object.keys(listed).sort()).toEqual(['__proto__-1-0.conda', 'constructor-1-0.conda', 'tostring-1-0.conda']);
  });

  it('records and removes the packages of a project named constructor in a shared staging channel', () => {
    const staging = join(temp('nx-conda-proto-owners-'), 'shared');
    mkdirSync(join(staging, 'noarch'), { recursive: true });
    writeFileSync(join(staging, 'noarch', 'constructor-1-0.conda'), 'x');
    writeRepodata(join(staging, 'noarch'), emptyRepodata('noarch'));
    expect(removeOwnedPackages(staging, 'constructor')).toEqual([]);
    recordOwnedPackages(staging, 'constructor', [{ subdir: 'noarch', file: 'constructor-1-0.conda' }]);
    expect(removeOwnedPackages(staging, '__proto__')).toEqual([]);
    expect(removeOwnedPackages(staging, 'constructor')).toEqual(['noarch/constructor-1-0.conda']);
  });

  it('walks the dependencies of projects named constructor and toString', () => {
    const node = (name: string) => ({
      name,
      type: 'lib' as const,
      data: { root: `recipes/${name}`, targets: { b: { executor: 'nx-conda:recipe-build', options: {} } } },
    });
    const graph = {
      nodes: { tostring: node('tostring') },
      dependencies: { tostring: [{ source: 'tostring', target: 'constructor', type: 'static' }] },
    } as unknown as ProjectGraph;
    expect(dependencyOutputs(graph, 'constructor')).toEqual([]);
    expect(dependencyOutputs(graph, 'tostring')).toEqual([]);
  });
});

describe('recipe.yaml context keys named like Object.prototype members', () => {
  it('are plain variables', () => {
    const text =
      'context:\n  __proto__: {polluted: yes}\n  constructor: "1.2"\n  toString: x\npackage:\n  name: p\n  version: ${{ constructor }}\n';
    expect(readRecipe('r/recipe.yaml', text, 'linux-64')).toMatchObject({ packageName: 'p', version: '1.2' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
