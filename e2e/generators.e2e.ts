import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages, readPackageMember } from './utils/conda-package';
import { TEST_IMAGES } from './utils/paths';
import { createWorkspace, expectSuccess, state, type Workspace } from './utils/workspace';

/**
 * Issue 4: `nx add` from the packed tarball into a workspace without the
 * plugin, then generated recipes that build as they are, in both formats.
 */
describe('nx add nx-conda and nx g nx-conda:recipe (real engine)', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = createWorkspace('generators', {}, { realCopy: true });
    // A workspace that has never seen nx-conda.
    rmSync(join(ws.root, 'node_modules', 'nx-conda'), { recursive: true, force: true });
    const pkg = JSON.parse(ws.read('package.json'));
    delete pkg.devDependencies['nx-conda'];
    ws.write('package.json', JSON.stringify(pkg, null, 2));
    rmSync(join(ws.root, 'package-lock.json'));
    ws.write('.gitignore', 'node_modules\n');
  });

  it('nx add installs the tarball and sets the workspace up', () => {
    const result = ws.nx(['add', `nx-conda@file:${state().tarball}`]);
    expectSuccess(result);
    expect(existsSync(join(ws.root, 'node_modules', 'nx-conda', 'package.json'))).toBe(true);
    const nxJson = JSON.parse(ws.read('nx.json'));
    expect(nxJson.plugins).toEqual(
      expect.arrayContaining([
        {
          plugin: 'nx-conda',
          options: {
            imageProject: 'builder-image',
            lintTargetName: 'lint-recipe',
            packageImageTargetName: 'package-image',
          },
        },
      ]),
    );
    const project = JSON.parse(ws.read('tools/builder-image/project.json'));
    expect(project.targets['docker-image'].executor).toBe('nx-conda:docker-image');
    expect(ws.read('.gitignore').split('\n')).toEqual(
      expect.arrayContaining(['node_modules', '/dist/conda', '/tmp/nx-conda']),
    );

    // The test images stand in for bioconda's build-env image, which cannot be pulled here.
    expectSuccess(ws.nx(['g', 'nx-conda:init', `--baseImage=${TEST_IMAGES.condaBuild}`, '--no-interactive']));
    expect(JSON.parse(ws.read('tools/builder-image/project.json')).targets['docker-image'].options.baseImage).toBe(
      TEST_IMAGES.condaBuild,
    );
    const again = readFileSync(join(ws.root, 'nx.json'), 'utf8');
    expectSuccess(ws.nx(['g', 'nx-conda:init', '--no-interactive']));
    expect(ws.read('nx.json')).toBe(again);
  });

  it('generates a, b --host=a and c --run=b, which build in that order', () => {
    expectSuccess(ws.nx(['g', 'nx-conda:recipe', 'a', '--no-interactive']));
    expectSuccess(ws.nx(['g', 'nx-conda:recipe', 'b', '--host=a', '--no-interactive']));
    expectSuccess(ws.nx(['g', 'nx-conda:recipe', 'c', '--run=b', '--no-interactive']));
    expect(ws.read('recipes/b/meta.yaml')).toMatch(/host:\n\s+- a/);

    const refused = ws.nx(['g', 'nx-conda:recipe', 'a', '--no-interactive']);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/already/i);
    const badName = ws.nx(['g', 'nx-conda:recipe', 'Bad Name', '--no-interactive']);
    expect(badName.code).not.toBe(0);

    const result = ws.nx(['run-many', '-t', 'build-recipe', '--parallel=1']);
    expectSuccess(result);
    const order = ['a', 'b', 'c'].map((p) => result.output.indexOf(`nx run ${p}:build-recipe`));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    for (const name of ['a', 'b', 'c']) {
      const out = join(ws.root, 'dist/conda/recipes', name);
      const packages = channelPackages(out);
      expect(packages).toEqual([expect.stringMatching(new RegExp(`^noarch/${name}-0\\.1\\.0-0\\.conda$`))]);
      expect(readPackageMember(join(out, packages[0]), `share/${name}/README`).length).toBeGreaterThan(0);
    }
    const c = join(ws.root, 'dist/conda/recipes/c');
    expect(JSON.parse(readPackageMember(join(c, channelPackages(c)[0]), 'info/index.json')).depends).toEqual(['b']);

    // What init wrote keeps each project small: build-recipe has no inputs of its own (Nx's default ones, which
    // hold condaGlobals: variant files, the builder image's identity, nx-conda's version) and no options.
    expect(JSON.parse(ws.read('nx.json')).namedInputs.default).toEqual(['{projectRoot}/**/*', 'condaGlobals']);
    const shown = JSON.parse(ws.nx(['show', 'project', 'b', '--json']).stdout).targets['build-recipe'];
    expect(shown.inputs).toBeUndefined();
    expect(shown.dependsOn).toEqual(['^build-recipe', 'builder-image:docker-image']);
    // Those inputs hash alike from run to run: the next run takes every build from the cache.
    const cached = (out: string, p: string) =>
      new RegExp(`nx run ${p}:build-recipe\\s+\\[(local cache|existing outputs match the cache, left as is)\\]`).test(
        out,
      );
    const again = ws.nx(['run-many', '-t', 'build-recipe', '-p', 'a', 'b', 'c']);
    expectSuccess(again);
    for (const p of ['a', 'b', 'c']) expect([p, cached(again.output, p)]).toEqual([p, true]);
    // A change of a dependency's recipe rebuilds its dependents (^default).
    ws.write('recipes/a/build.sh', `${ws.read('recipes/a/build.sh')}\n# changed\n`);
    const changed = ws.nx(['run-many', '-t', 'build-recipe', '-p', 'a', 'b', 'c']);
    expectSuccess(changed);
    for (const p of ['a', 'b', 'c']) expect([p, cached(changed.output, p)]).toEqual([p, false]);
  });

  it('generates a recipe.yaml recipe that rattler-build builds against a generated meta.yaml one', () => {
    const nxJson = JSON.parse(ws.read('nx.json'));
    const entry = nxJson.plugins.find((p: any) => p.plugin === 'nx-conda');
    entry.options.images = { 'rattler-build': TEST_IMAGES.rattlerBuild };
    writeFileSync(join(ws.root, 'nx.json'), JSON.stringify(nxJson, null, 2));
    expectSuccess(ws.nx(['g', 'nx-conda:recipe', 'd', '--format=recipe', '--host=a', '--no-interactive']));
    expect(existsSync(join(ws.root, 'recipes/d/recipe.yaml'))).toBe(true);

    const result = ws.nx(['run', 'd:build-recipe']);
    expectSuccess(result);
    expect(result.output).toMatch(/staging channel for d: 1 package\(s\) from 1 dependency \(a\)/);
    expect(channelPackages(join(ws.root, 'dist/conda/recipes/d'))).toEqual([
      expect.stringMatching(/^noarch\/d-0\.1\.0-.*\.conda$/),
    ]);
  });
});
