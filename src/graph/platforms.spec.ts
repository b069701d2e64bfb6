import type { CreateNodesContext, ProjectConfiguration } from '@nx/devkit';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDependencies, createNodes } from '../index';
import { clearMemoryCache } from './cache';
import { extraPlatformsOf, normalizeOptions } from './options';

/** A meta.yaml: `lines` go under `requirements: host:`; `extra` and `build` lines are added as given. */
const meta = (
  name: string,
  host: string[] = [],
  o: { platforms?: string[]; build?: string[]; nameLine?: string } = {},
) =>
  [
    'package:',
    o.nameLine ?? `  name: ${name}`,
    '  version: "1.0"',
    ...(o.build ? ['build:', ...o.build.map((b) => `  ${b}`)] : []),
    'requirements:',
    '  host:',
    ...host.map((r) => `    - ${r}`),
    ...(o.platforms ? ['extra:', '  additional-platforms:', ...o.platforms.map((p) => `    - ${p}`)] : []),
    '',
  ].join('\n');

const ARM = ['linux-aarch64', 'osx-arm64'];

describe('several platforms in the graph', () => {
  let root: string;
  let warn: jest.SpyInstance;
  const files: string[] = [];
  const write = (file: string, text: string) => {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
    files.push(file);
  };
  const context = (): CreateNodesContext => ({ workspaceRoot: root, nxJsonConfiguration: {} });
  const warnings = () => warn.mock.calls.map((c) => String(c[0]));

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nx-conda-platforms-'));
    process.env.NX_WORKSPACE_DATA_DIRECTORY = join(root, '.nx', 'workspace-data');
    clearMemoryCache();
    files.length = 0;
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    write('recipes/htslib/meta.yaml', meta('htslib', ['zlib'], { platforms: ARM }));
    write('recipes/samtools/meta.yaml', meta('samtools', ['htslib'], { platforms: ARM }));
    // t1k (bioconda): samtools only on x86_64.
    write('recipes/t1k/meta.yaml', meta('t1k', ['htslib', 'samtools 0.1.19.*  # [x86_64]'], { platforms: ARM }));
    write('recipes/miniprot/meta.yaml', meta('miniprot', [], { platforms: ARM }));
    write('recipes/armonly/meta.yaml', meta('armonly', [], { platforms: ['linux-aarch64'] }));
    // zol (bioconda): miniprot pinned differently per platform; armonly only on aarch64.
    write(
      'recipes/zol/meta.yaml',
      meta('zol', ['miniprot =0.7  # [x86_64]', 'miniprot >=0.7  # [aarch64]', 'armonly  # [linux and aarch64]'], {
        platforms: ARM,
      }),
    );
    write('recipes/pynoarch/meta.yaml', meta('pynoarch', ['htslib'], { build: ['noarch: python'], platforms: ARM }));
    write('recipes/usesnoarch/meta.yaml', meta('usesnoarch', ['pynoarch'], { platforms: ARM }));
    write('recipes/x86only/meta.yaml', meta('x86only', ['htslib']));
    write('recipes/needsx86/meta.yaml', meta('needsx86', ['x86only'], { platforms: ARM }));
    write('recipes/noname/meta.yaml', meta('noname', [], { platforms: ARM, nameLine: '  name: noname  # [x86_64]' }));
    write('recipes/skipped/meta.yaml', meta('skipped', [], { platforms: ARM, build: ['skip: true  # [aarch64]'] }));
    write('recipes/typo/meta.yaml', meta('typo', [], { platforms: ['osx-arm'] }));
    write(
      'recipes/rattler/recipe.yaml',
      [
        'package:',
        '  name: rattler',
        '  version: "1.0"',
        'requirements:',
        '  host:',
        '    - if: aarch64',
        '      then: [armonly]',
        '      else: [samtools]',
        'extra:',
        '  additional-platforms: [linux-aarch64]',
        '',
      ].join('\n'),
    );
  });
  afterEach(() => {
    warn.mockRestore();
    delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
    rmSync(root, { recursive: true, force: true });
  });

  async function nodes(options: Record<string, unknown>): Promise<Record<string, ProjectConfiguration>> {
    const results = await createNodes[1](files, options, context());
    return Object.fromEntries(
      results.flatMap(([, r]) => Object.values(r.projects ?? {})).map((p) => [p.name!, p as ProjectConfiguration]),
    );
  }

  async function edges(options: Record<string, unknown>, projects: Record<string, ProjectConfiguration>) {
    const deps = await createDependencies(options, {
      projects,
      externalNodes: {},
      workspaceRoot: root,
      nxJsonConfiguration: {},
      fileMap: { projectFileMap: {}, nonProjectFiles: [] },
      filesToProcess: { projectFileMap: {}, nonProjectFiles: [] },
    });
    return deps.map((d) => `${d.source}->${d.target}`).sort();
  }

  const AARCH = { platforms: ['linux-64', 'linux-aarch64'], imageProject: 'builder-image' };
  const T = 'build-recipe-linux-aarch64';

  it('makes nothing new without the option: one platform, as before', async () => {
    const projects = await nodes({ imageProject: 'builder-image' });
    for (const p of Object.values(projects)) expect(Object.keys(p.targets!)).toEqual(['build-recipe']);
    expect(projects.zol.targets!['build-recipe'].dependsOn).toEqual(['^build-recipe', 'builder-image:docker-image']);
    expect(await edges({}, projects)).not.toContain('zol->armonly');
  });

  it('gives a target per other platform to the recipes that list it and are not noarch', async () => {
    const projects = await nodes(AARCH);
    const withTarget = Object.values(projects)
      .filter((p) => p.targets![T])
      .map((p) => p.name)
      .sort();
    // Not: pynoarch (noarch), x86only (does not list it), skipped (build: skip there), typo; noname has no name there.
    expect(withTarget).toEqual([
      'armonly',
      'htslib',
      'miniprot',
      'needsx86',
      'rattler',
      'samtools',
      't1k',
      'usesnoarch',
      'zol',
    ]);
    expect(projects.noname.targets!['build-recipe']).toBeDefined();
    const htslib = projects.htslib.targets![T];
    expect(htslib).toEqual({
      executor: 'nx-conda:recipe-build',
      cache: true,
      dependsOn: [`^${T}`, 'builder-image:docker-image-linux-aarch64'],
      inputs: expect.any(Array),
      outputs: ['{workspaceRoot}/dist/conda/{projectRoot}/linux-aarch64'],
      options: { platform: 'linux-aarch64' },
      metadata: { description: expect.stringContaining('linux-aarch64') },
    });
    // The primary target is today's.
    expect(projects.htslib.targets!['build-recipe'].outputs).toEqual([
      '{workspaceRoot}/dist/conda/{projectRoot}/noarch',
      '{workspaceRoot}/dist/conda/{projectRoot}/linux-64',
    ]);
  });

  it('t1k: the aarch64 task never waits for a dependency that exists on x86_64 only', async () => {
    const projects = await nodes(AARCH);
    expect(projects.t1k.targets![T].dependsOn).toEqual([
      { projects: ['htslib'], target: T },
      'builder-image:docker-image-linux-aarch64',
    ]);
    expect(projects.t1k.targets!['build-recipe'].dependsOn).toEqual(['^build-recipe', 'builder-image:docker-image']);
    // The project graph keeps the x86_64 edge (the linux-64 task and nx affected need it).
    expect(await edges(AARCH, projects)).toEqual(expect.arrayContaining(['t1k->htslib', 't1k->samtools']));
  });

  it('zol: an aarch64-only requirement is an edge, and the linux-64 task does not wait for it', async () => {
    const projects = await nodes(AARCH);
    const deps = await edges(AARCH, projects);
    expect(deps).toEqual(
      expect.arrayContaining(['zol->armonly', 'zol->miniprot', 'rattler->armonly', 'rattler->samtools']),
    );
    expect(projects.zol.targets![T].dependsOn).toEqual([`^${T}`, 'builder-image:docker-image-linux-aarch64']);
    expect(projects.zol.targets!['build-recipe'].dependsOn).toEqual([
      { projects: ['miniprot'], target: 'build-recipe' },
      'builder-image:docker-image',
    ]);
    // recipe.yaml: if/then/else per platform, the same way.
    expect(projects.rattler.targets![T].dependsOn).toEqual([
      { projects: ['armonly'], target: T },
      'builder-image:docker-image-linux-aarch64',
    ]);
    expect(projects.rattler.targets!['build-recipe'].dependsOn).toEqual([
      { projects: ['samtools'], target: 'build-recipe' },
      'builder-image:docker-image',
    ]);
  });

  it('a noarch dependency is built once, by its primary task; what it needs is reached on the platform', async () => {
    const projects = await nodes(AARCH);
    expect(projects.usesnoarch.targets![T].dependsOn).toEqual([
      `^${T}`,
      { projects: ['pynoarch'], target: 'build-recipe' },
      'builder-image:docker-image-linux-aarch64',
    ]);
    expect(projects.pynoarch.targets![T]).toBeUndefined();
  });

  it('says which recipes get no task on a platform, and why', async () => {
    await nodes(AARCH);
    const all = warnings().join('\n');
    expect(all).toMatch(/recipes\/noname\/meta\.yaml.*cannot be read for linux-aarch64: .*no package\.name/);
    expect(all).toMatch(
      /recipes\/typo\/meta\.yaml: extra: additional-platforms holds "osx-arm", which is not a conda platform/,
    );
  });

  it('osx in platforms: the workspace is told, and no osx task is made', async () => {
    const projects = await nodes({ ...AARCH, platforms: ['linux-64', 'linux-aarch64', 'osx-arm64'] });
    expect(warnings().join('\n')).toMatch(
      /nx\.json.*"platforms" holds osx-arm64: osx-arm64 packages cannot be built in a Linux container/,
    );
    for (const p of Object.values(projects))
      expect(Object.keys(p.targets!).filter((t) => t.includes('osx'))).toEqual([]);
    expect(projects.htslib.targets![T]).toBeDefined();
  });

  it.each([
    ['linux-aarch64', /must be a list of conda platforms.*got "linux-aarch64"/],
    [{ a: 1 }, /must be a list of conda platforms.*got \{"a":1\}/],
    [['linux-arch64'], /holds "linux-arch64", which is not a conda platform/],
    [[42], /holds 42, which is not a conda platform/],
  ])(
    'bad option %p: a clear warning naming nx.json and the value, and the graph is unchanged',
    async (value, message) => {
      const plain = await nodes({ imageProject: 'builder-image' });
      warn.mockClear();
      const projects = await nodes({ imageProject: 'builder-image', platforms: value });
      expect(warnings().join('\n')).toMatch(/nx\.json: the nx-conda plugin option "platforms"/);
      expect(warnings().join('\n')).toMatch(message);
      expect(projects).toEqual(plain);
    },
  );

  it('package-image: images of every platform the recipe is built for, after those builds; one platform: as before', async () => {
    const projects = await nodes({ ...AARCH, packageImageTargetName: 'package-image' });
    expect(projects.htslib.targets!['package-image']).toMatchObject({
      dependsOn: ['build-recipe', T],
      options: { imageProject: 'builder-image', platforms: ['linux-64', 'linux-aarch64'] },
    });
    for (const name of ['x86only', 'pynoarch']) {
      expect(projects[name].targets!['package-image'].dependsOn).toEqual(['build-recipe']);
      expect(projects[name].targets!['package-image'].options).toEqual({ imageProject: 'builder-image' });
    }
  });

  it('keeps the options of the primary target on the platform target, with its platform', async () => {
    const projects = await nodes({ ...AARCH, outputRoot: 'out', engine: 'podman' });
    expect(projects.htslib.targets![T].options).toEqual({
      outputPath: 'out/recipes/htslib',
      engine: 'podman',
      platform: 'linux-aarch64',
    });
    expect(projects.htslib.targets![T].outputs).toEqual(['{workspaceRoot}/out/{projectRoot}/linux-aarch64']);
  });
});

describe('extraPlatformsOf', () => {
  it('keeps the known Linux platforms other than the primary one, once', () => {
    expect(extraPlatformsOf(['linux-64', 'linux-aarch64', 'linux-aarch64', 'linux-ppc64le'], 'linux-64')).toEqual({
      extraPlatforms: ['linux-aarch64', 'linux-ppc64le'],
      platformProblems: [],
    });
    expect(normalizeOptions({ platform: 'linux-aarch64', platforms: ['linux-64'] }).extraPlatforms).toEqual([
      'linux-64',
    ]);
    expect(normalizeOptions({}).extraPlatforms).toEqual([]);
  });
});
