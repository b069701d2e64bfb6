import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages, readPackageMember } from './utils/conda-package';
import { TEST_IMAGES } from './utils/paths';
import { createWorkspace, expectSuccess, type Workspace } from './utils/workspace';

/**
 * Issue 3: projects and edges inferred from meta.yaml alone (no project.json
 * for recipes), built in dependency order, and `nx affected` selecting a
 * changed recipe and its dependents only.
 */
const meta = (name: string, requirements: string) =>
  `{% set name = "${name}" %}\n{% set version = "1.0" %}\n\npackage:\n  name: {{ name }}\n  version: {{ version }}\n\nbuild:\n  number: 0\n  skip: true  # [win]\n\n${requirements}`;

function setUp(): Workspace {
  const ws = createWorkspace('inference', {
    plugins: [{ plugin: 'nx-conda', options: { imageProject: 'builder-image' } }],
  });
  ws.write(
    'tools/builder-image/project.json',
    JSON.stringify({
      name: 'builder-image',
      targets: {
        'docker-image': {
          executor: 'nx-conda:docker-image',
          options: { baseImage: TEST_IMAGES.condaBuild, imageName: 'nx-conda-e2e/builder' },
        },
      },
    }),
  );
  // Folder names differ from package names on purpose: projects are named after packages.
  ws.write('recipes/first/meta.yaml', meta('alpha', ''));
  ws.write('recipes/first/build.sh', 'mkdir -p "$PREFIX/share" && echo alpha > "$PREFIX/share/alpha.txt"\n', 0o755);
  ws.write(
    'recipes/second/meta.yaml',
    meta('beta', 'requirements:\n  host:\n    - alpha >=1.0\n  run:\n    - alpha\n'),
  );
  ws.write(
    'recipes/second/build.sh',
    'test -f "$PREFIX/share/alpha.txt"\necho beta > "$PREFIX/share/beta.txt"\n',
    0o755,
  );
  ws.write('recipes/third/meta.yaml', meta('gamma', 'requirements:\n  run:\n    - beta 1.0.*\n    - zlib  # [osx]\n'));
  ws.write('recipes/third/build.sh', 'mkdir -p "$PREFIX/share" && echo gamma > "$PREFIX/share/gamma.txt"\n', 0o755);
  ws.write('recipes/broken/meta.yaml', 'package:\n  name: broken\n  version: [unclosed\n');
  ws.git(['init', '-q', '-b', 'main']);
  ws.git(['-c', 'user.email=e2e@example.org', '-c', 'user.name=e2e', 'add', '-A']);
  ws.git(['-c', 'user.email=e2e@example.org', '-c', 'user.name=e2e', 'commit', '-qm', 'recipes']);
  return ws;
}

describe('inferred recipe graph (conda-build test image, real engine)', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = setUp();
  });

  it('infers a project per recipe, named after its package, and reports the broken one without losing the others', () => {
    const result = ws.nx(['show', 'projects', '--json']);
    expectSuccess(result);
    expect(JSON.parse(result.stdout).sort()).toEqual(['alpha', 'beta', 'builder-image', 'gamma']);
    expect(result.output).toMatch(/recipes\/broken\/meta\.yaml/);

    const beta = JSON.parse(ws.nx(['show', 'project', 'beta', '--json']).stdout);
    expect(beta.root).toBe('recipes/second');
    // One small target: the builder image is the docker-image target it depends on (read there by the executor),
    // the recipe and the output folder come from the project root.
    expect(beta.targets['build-recipe']).toMatchObject({
      executor: 'nx-conda:recipe-build',
      cache: true,
      dependsOn: ['^build-recipe', 'builder-image:docker-image'],
      outputs: ['{workspaceRoot}/dist/conda/{projectRoot}/noarch', '{workspaceRoot}/dist/conda/{projectRoot}/linux-64'],
    });
    expect(beta.targets['build-recipe'].options).toEqual({});
    // Only what is named is inferred besides it.
    expect(Object.keys(beta.targets)).toEqual(['build-recipe']);
    // No version tag: Nx hashes the executor's package (its lockfile entry) itself (last test).
    expect(beta.tags).toEqual(['conda']);
  });

  it('builds the inferred projects in dependency order', () => {
    const result = ws.nx(['run-many', '-t', 'build-recipe', '--parallel=1']);
    expectSuccess(result);
    const order = ['alpha', 'beta', 'gamma'].map((p) => result.output.indexOf(`nx run ${p}:build-recipe`));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(result.output).toMatch(/staging channel for gamma: 2 package\(s\) from 2 dependencies \(beta, alpha\)/);
    for (const [folder, name] of [
      ['first', 'alpha'],
      ['second', 'beta'],
      ['third', 'gamma'],
    ]) {
      const packages = channelPackages(join(ws.root, 'dist/conda/recipes', folder));
      expect(packages).toHaveLength(1);
      expect(packages[0]).toMatch(new RegExp(`^linux-64/${name}-1\\.0-`));
    }
    const gamma = join(
      ws.root,
      'dist/conda/recipes/third',
      channelPackages(join(ws.root, 'dist/conda/recipes/third'))[0],
    );
    expect(JSON.parse(readPackageMember(gamma, 'info/index.json')).depends).toEqual(['beta 1.0.*']);
  });

  it('selects a changed recipe and its dependents only with nx affected', () => {
    ws.write(
      'recipes/second/build.sh',
      'test -f "$PREFIX/share/alpha.txt"\necho beta, changed > "$PREFIX/share/beta.txt"\n',
      0o755,
    );
    const shown = ws.nx(['show', 'projects', '--affected', '--base=HEAD', '--json']);
    expect(JSON.parse(shown.stdout).sort()).toEqual(['beta', 'gamma']);

    const result = ws.nx(['affected', '-t', 'build-recipe', '--base=HEAD', '--parallel=1']);
    expectSuccess(result);
    expect(result.output).toContain('nx run beta:build-recipe');
    expect(result.output).toContain('nx run gamma:build-recipe');
    expect(result.output).toMatch(/Running target build-recipe for 2 projects/);
    // alpha is only a dependency of the affected tasks: taken from the cache, not rebuilt.
    expect(result.output).toMatch(
      /nx run alpha:build-recipe\s+\[(local cache|existing outputs match the cache, left as is)\]/,
    );
    const beta = join(
      ws.root,
      'dist/conda/recipes/second',
      channelPackages(join(ws.root, 'dist/conda/recipes/second'))[0],
    );
    expect(readPackageMember(beta, 'share/beta.txt').trim()).toBe('beta, changed');
    expect(existsSync(join(ws.root, 'dist/conda/recipes/broken'))).toBe(false);
  });

  it('rebuilds after an upgrade of nx-conda: Nx hashes its lockfile entry into every build', () => {
    const cached = ws.nx(['run', 'alpha:build-recipe']);
    expectSuccess(cached);
    expect(cached.output).toMatch(/local cache|existing outputs match the cache/);
    // What an upgrade changes in package-lock.json: the package's entry (version, resolved, integrity).
    const lock = JSON.parse(ws.read('package-lock.json'));
    const entry = lock.packages['node_modules/nx-conda'];
    expect(entry).toBeDefined();
    entry.version = `${entry.version}-upgraded`;
    entry.integrity = 'sha512-upgraded';
    ws.write('package-lock.json', JSON.stringify(lock, null, 2));
    const rebuilt = ws.nx(['run', 'alpha:build-recipe']);
    expectSuccess(rebuilt);
    expect(rebuilt.output).not.toMatch(/local cache|existing outputs match the cache/);
    expect(rebuilt.output).toMatch(/alpha/);
  });
});

describe('old versions kept in nested recipe folders', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = createWorkspace('nested', { plugins: [{ plugin: 'nx-conda', options: { image: TEST_IMAGES.condaBuild } }] });
    ws.write('recipes/foo/meta.yaml', meta('foo', '').replace('version = "1.0"', 'version = "2.0"'));
    ws.write('recipes/foo/build.sh', 'mkdir -p "$PREFIX/share" && echo foo 2 > "$PREFIX/share/foo.txt"\n', 0o755);
    ws.write('recipes/foo/1.0/meta.yaml', meta('foo', ''));
    ws.write('recipes/foo/1.0/build.sh', 'mkdir -p "$PREFIX/share" && echo foo 1 > "$PREFIX/share/foo.txt"\n', 0o755);
    ws.write('recipes/bar/meta.yaml', meta('bar', 'requirements:\n  host:\n    - foo\n'));
    ws.write('recipes/bar/build.sh', 'test -f "$PREFIX/share/foo.txt"\necho bar > "$PREFIX/share/bar.txt"\n', 0o755);
  });

  const outputs = (ws: Workspace) => ({
    foo: channelPackages(join(ws.root, 'dist/conda/recipes/foo')),
    old: channelPackages(join(ws.root, 'dist/conda/recipes/foo/1.0')),
  });

  it('names the nested recipe predictably and keeps each output folder its own', () => {
    expect(JSON.parse(ws.nx(['show', 'projects', '--json']).stdout).sort()).toEqual(['bar', 'foo', 'foo@1.0']);
    const result = ws.nx(['run-many', '-t', 'build-recipe', '--parallel=1']);
    expectSuccess(result);
    expect(result.output).toMatch(/staging channel for bar: 2 package\(s\) from 2 dependencies/);
    expect(outputs(ws)).toEqual({
      foo: [expect.stringMatching(/^linux-64\/foo-2\.0-/)],
      old: [expect.stringMatching(/^linux-64\/foo-1\.0-/)],
    });

    // Rebuilding the outer recipe leaves the nested one's packages alone.
    expectSuccess(ws.nx(['run', 'foo:build-recipe', '--skip-nx-cache']));
    expect(outputs(ws).old).toHaveLength(1);

    // And a cache restore brings each back exactly once, in its own folder.
    rmSync(join(ws.root, 'dist'), { recursive: true, force: true });
    const restored = ws.nx(['run-many', '-t', 'build-recipe']);
    expectSuccess(restored);
    expect(restored.output).toMatch(/3 out of 3 tasks/);
    expect(outputs(ws)).toEqual({
      foo: [expect.stringMatching(/^linux-64\/foo-2\.0-/)],
      old: [expect.stringMatching(/^linux-64\/foo-1\.0-/)],
    });
  });
});

describe('reading recipes in a second thread (a cold graph of many recipes)', () => {
  it('gives the same projects, edges and warnings as reading them in one', () => {
    const ws = createWorkspace('threads', {
      plugins: [{ plugin: 'nx-conda', options: { image: TEST_IMAGES.condaBuild } }],
    });
    for (let i = 0; i < 40; i++) {
      const needs = i > 0 ? `requirements:\n  host:\n    - lib${i - 1}\n  run:\n    - lib${Math.floor(i / 2)}\n` : '';
      ws.write(`recipes/lib${i}/meta.yaml`, meta(`lib${i}`, needs));
    }
    ws.write('recipes/broken/meta.yaml', 'package:\n  name: broken\n  version: [unclosed\n');
    const graphWith = (threads: string) => {
      rmSync(join(ws.root, '.nx'), { recursive: true, force: true });
      const result = ws.nx(['graph', `--file=graph-${threads}.json`], {
        NX_CONDA_GRAPH_THREADS: threads,
        NX_CONDA_GRAPH_STATS: 'true',
      });
      expectSuccess(result);
      expect(result.output).toMatch(/recipes\/broken\/meta\.yaml/);
      return { graph: JSON.parse(ws.read(`graph-${threads}.json`)).graph, output: result.output };
    };
    const one = graphWith('0');
    const two = graphWith('always');
    expect(Object.keys(two.graph.nodes)).toHaveLength(40);
    expect(two.graph).toEqual(one.graph);
    expect(two.graph.dependencies.lib7).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ target: 'lib6' }),
        expect.objectContaining({ target: 'lib3' }),
      ]),
    );
    // Both read every recipe cold; the second read half of them in a worker thread.
    for (const run of [one, two]) expect(run.output).toMatch(/read 41 recipe\(s\): 41 parsed/);
    expect(one.output).not.toMatch(/in a second thread/);
    expect(two.output).toMatch(/read and hashed \(20 of them in a second thread\)/);
  });
});
