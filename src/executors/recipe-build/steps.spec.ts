import type { ProjectGraph } from '@nx/devkit';
import { DEFAULT_DATA_LIMITS } from '../../channel/package-check';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { emptyRepodata, recordOwnedPackages, writeRepodata } from '../../channel';
import type { ResolvedOptions } from './options';
import {
  assembleStaging,
  collectPackages,
  CONTAINER_TOOLS,
  makeBuildDirs,
  removeBuildDirs,
  renderScript,
  safeName,
  snapshotBeforeRun,
} from './steps';

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** A workspace with the recipe `recipes/b` (project b) that depends on `recipes/a`, whose output folder holds one package. */
function workspace(): { root: string; graph: ProjectGraph; resolved: ResolvedOptions } {
  const root = mkdtempSync(join(tmpdir(), 'nx-conda-steps-'));
  roots.push(root);
  mkdirSync(join(root, 'recipes/b'), { recursive: true });
  writeFileSync(join(root, 'recipes/b/meta.yaml'), 'package: {name: b}\n');
  writeFileSync(join(root, 'conda_build_config.yaml'), 'python: ["3.11"]\n');
  const aOut = join(root, 'dist/conda/recipes/a/noarch');
  mkdirSync(aOut, { recursive: true });
  writeFileSync(join(aOut, 'a-1-0.conda'), 'A');
  const index = emptyRepodata('noarch');
  index['packages.conda']['a-1-0.conda'] = { name: 'a', version: '1', build: '0' };
  writeRepodata(aOut, index);
  const node = (name: string) => ({
    name,
    type: 'lib' as const,
    data: { root: `recipes/${name}`, targets: { 'build-recipe': { executor: 'nx-conda:recipe-build', options: {} } } },
  });
  const graph: ProjectGraph = {
    nodes: { a: node('a'), b: node('b') },
    dependencies: { a: [], b: [{ source: 'b', target: 'a', type: 'static' }] },
  };
  const resolved: ResolvedOptions = {
    projectName: 'b',
    projectRoot: 'recipes/b',
    recipeDir: join(root, 'recipes/b'),
    recipeFile: 'meta.yaml',
    builder: 'conda-build',
    outputPath: 'dist/conda/recipes/b',
    outputDir: join(root, 'dist/conda/recipes/b'),
    image: { kind: 'ref', ref: 'unused' },
    hardening: {},
    engine: 'docker',
    platform: 'linux-64',
    primaryPlatform: 'linux-64',
    ownedSubdirs: ['noarch', 'linux-64'],
    channels: [],
    skipExisting: false,
    buildArgs: ['--channel', 'https://user:token@example.invalid/c'],
    env: {},
    containerRecipe: '/opt/recipe',
    containerStaging: '/opt/host-conda-bld',
    variantConfigFiles: [join(root, 'conda_build_config.yaml')],
    exclusiveConfigFiles: [],
    mambabuild: false,
    skipTests: true,
    timeoutSeconds: 0,
    keepImage: true,
    lockTimeoutSeconds: 0,
    stagingRoot: join(root, 'tmp/nx-conda/staging'),
    keepStaging: false,
    limits: DEFAULT_DATA_LIMITS,
    verbose: false,
  };
  return { root, graph, resolved };
}

describe('the steps of a recipe build', () => {
  it('makeBuildDirs / removeBuildDirs: fresh folders under stagingRoot, removed afterwards', () => {
    const { root, resolved } = workspace();
    const dirs = makeBuildDirs(resolved, root);
    expect(dirs.staging.startsWith(join(resolved.stagingRoot, 'b-'))).toBe(true);
    expect(dirs.tools.startsWith(join(resolved.stagingRoot, 'b-script-'))).toBe(true);
    removeBuildDirs(resolved, dirs);
    expect(existsSync(dirs.staging)).toBe(false);
    expect(existsSync(dirs.tools)).toBe(false);
  });

  it.each(['..', '.', '-x', '../../etc', 'a/b'])(
    'makeBuildDirs keeps the folders of project %j directly inside stagingRoot',
    (projectName) => {
      const { root, resolved } = workspace();
      const dirs = makeBuildDirs({ ...resolved, projectName }, root);
      for (const dir of [dirs.staging, dirs.tools]) expect(dirname(dir)).toBe(resolved.stagingRoot);
      expect(safeName(projectName)).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
      removeBuildDirs(resolved, dirs);
    },
  );

  it('removeBuildDirs never removes a shared staging channel', () => {
    const { root, resolved } = workspace();
    const shared = { ...resolved, sharedStagingDir: join(root, 'shared') };
    mkdirSync(shared.sharedStagingDir, { recursive: true });
    const dirs = makeBuildDirs(shared, root);
    expect(dirs.staging).toBe(shared.sharedStagingDir);
    removeBuildDirs(shared, dirs);
    expect(existsSync(shared.sharedStagingDir)).toBe(true);
    expect(existsSync(dirs.tools)).toBe(false);
  });

  it('assembleStaging: the dependencies’ packages and records, and the platform subdir', () => {
    const { root, graph, resolved } = workspace();
    const { staging } = makeBuildDirs(resolved, root);
    expect(assembleStaging(resolved, staging, graph, root)).toEqual({ packages: 1, unindexed: [] });
    expect(readdirSync(join(staging, 'noarch')).sort()).toEqual(['a-1-0.conda', 'repodata.json']);
    const index = JSON.parse(readFileSync(join(staging, 'noarch/repodata.json'), 'utf8'));
    expect(Object.keys(index['packages.conda'])).toEqual(['a-1-0.conda']);
    expect(existsSync(join(staging, 'linux-64/repodata.json'))).toBe(true);
  });

  it('renderScript: an executable build.sh, mounts for recipe (read-only), staging, variant files and script', () => {
    const { root, resolved } = workspace();
    const dirs = makeBuildDirs(resolved, root);
    const prepared = renderScript(resolved, dirs, root);
    const scriptFile = join(dirs.tools, 'build.sh');
    expect(readFileSync(scriptFile, 'utf8')).toBe(prepared.script);
    expect(statSync(scriptFile).mode & 0o777).toBe(0o755);
    expect(prepared.command).toEqual(['bash', `${CONTAINER_TOOLS}/build.sh`]);
    expect(prepared.mounts).toEqual([
      { host: resolved.recipeDir, container: '/opt/recipe', readOnly: true },
      { host: dirs.staging, container: '/opt/host-conda-bld' },
      {
        host: resolved.variantConfigFiles[0],
        container: `${CONTAINER_TOOLS}/config/variant-0-conda_build_config.yaml`,
        readOnly: true,
      },
      { host: scriptFile, container: `${CONTAINER_TOOLS}/build.sh`, readOnly: true },
    ]);
    // skipTests on conda-build is --no-test before the user's arguments.
    expect(prepared.plan.buildArgs).toEqual(['--no-test', ...resolved.buildArgs]);
    expect(prepared.plan.recipeFile).toBe('/opt/recipe/meta.yaml');
    expect(prepared.script).toContain(`-m ${CONTAINER_TOOLS}/config/variant-0-conda_build_config.yaml`);
  });

  it('renderScript: a user template that names an unknown placeholder fails before anything runs', () => {
    const { root, resolved } = workspace();
    writeFileSync(join(root, 'build.tpl'), '#!/bin/bash\n{{command}}\n{{nope}}\n');
    const withTemplate = { ...resolved, buildScriptTemplate: join(root, 'build.tpl') };
    expect(() => renderScript(withTemplate, makeBuildDirs(withTemplate, root), root)).toThrow(
      /nope.*build\.tpl|build\.tpl.*nope/s,
    );
  });

  it('snapshotBeforeRun: in a shared staging channel, drops this project’s earlier packages first', () => {
    const { root, resolved } = workspace();
    const shared = { ...resolved, sharedStagingDir: join(root, 'shared') };
    const noarch = join(shared.sharedStagingDir, 'noarch');
    mkdirSync(noarch, { recursive: true });
    writeFileSync(join(noarch, 'b-1-0.conda'), 'old B');
    writeFileSync(join(noarch, 'x-1-0.conda'), 'X of another project');
    writeRepodata(noarch, emptyRepodata('noarch'));
    recordOwnedPackages(shared.sharedStagingDir, 'b', [{ subdir: 'noarch', file: 'b-1-0.conda' }]);
    const before = snapshotBeforeRun(shared, shared.sharedStagingDir);
    expect([...before.keys()]).toEqual(['noarch/x-1-0.conda']);
    expect(existsSync(join(noarch, 'b-1-0.conda'))).toBe(false);
  });

  it('collectPackages: moves what the build added into the output folder; nothing new is a failure', () => {
    const { root, graph, resolved } = workspace();
    const { staging } = makeBuildDirs(resolved, root);
    assembleStaging(resolved, staging, graph, root);
    const before = snapshotBeforeRun(resolved, staging);
    expect(() => collectPackages(resolved, staging, before)).toThrow(/succeeded but left no new package/);

    // What a build does: a new package, indexed.
    writeFileSync(join(staging, 'linux-64/b-1-0.conda'), 'B');
    const index = emptyRepodata('linux-64');
    index['packages.conda']['b-1-0.conda'] = { name: 'b', version: '1', build: '0' };
    writeRepodata(join(staging, 'linux-64'), index);

    expect(collectPackages(resolved, staging, before)).toEqual({
      collected: [{ subdir: 'linux-64', file: 'b-1-0.conda', size: 1 }],
      dropped: [],
    });
    expect(readFileSync(join(resolved.outputDir, 'linux-64/b-1-0.conda'), 'utf8')).toBe('B');
    // The dependency's package stays out of this project's output.
    expect(existsSync(join(resolved.outputDir, 'noarch/a-1-0.conda'))).toBe(false);
  });
});
