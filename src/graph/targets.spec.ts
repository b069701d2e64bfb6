import { normalizeOptions } from './options';
import { recipeGlobalsDefinition, recipeProject, workspaceShape } from './targets';

const info = {
  format: 'meta' as const,
  packageName: 'foo',
  names: ['foo'],
  requirements: { build: [], host: [], run: [] },
};

const slim = workspaceShape({
  default: ['{projectRoot}/**/*', 'condaGlobals'],
  condaGlobals: recipeGlobalsDefinition(true),
});
const buildOf = (o: Parameters<typeof normalizeOptions>[0], shape = slim) =>
  recipeProject('recipes/foo', 'recipes/foo/meta.yaml', 'foo', info, normalizeOptions(o), shape).targets![
    'build-recipe'
  ];

describe('workspaceShape', () => {
  it('is slim only when nx.json defines condaGlobals and default holds it', () => {
    expect(slim).toEqual({ defaultHasRecipeGlobals: true, globalsHaveImageIdentity: true, versionHashedByNx: false });
    expect(workspaceShape({ default: ['condaGlobals'], condaGlobals: recipeGlobalsDefinition(false) })).toEqual({
      defaultHasRecipeGlobals: true,
      globalsHaveImageIdentity: false,
      versionHashedByNx: false,
    });
    expect(workspaceShape(undefined).defaultHasRecipeGlobals).toBe(false);
    expect(workspaceShape({ condaGlobals: [] }).defaultHasRecipeGlobals).toBe(false);
    expect(workspaceShape({ default: ['condaGlobals'] }).defaultHasRecipeGlobals).toBe(false);
  });
});

describe('build-recipe cache inputs', () => {
  it('are Nx default inputs when nx.json default holds condaGlobals, with files given by option added', () => {
    expect(buildOf({ imageProject: 'builder-image' }).inputs).toBeUndefined();
    expect(
      buildOf({
        variantConfigFiles: ['./tools/pins.yaml'],
        exclusiveConfigFiles: ['tools/exclusive.yaml'],
        buildScriptTemplate: 'tools/build.sh.tpl',
      }),
    ).toMatchObject({
      inputs: [
        'default',
        '^default',
        '{workspaceRoot}/tools/pins.yaml',
        '{workspaceRoot}/tools/exclusive.yaml',
        '{workspaceRoot}/tools/build.sh.tpl',
      ],
      options: {
        variantConfigFiles: ['tools/pins.yaml'],
        exclusiveConfigFiles: ['tools/exclusive.yaml'],
        buildScriptTemplate: 'tools/build.sh.tpl',
      },
    });
  });

  it('are written out in full without condaGlobals: recipe folder, dependencies, globals, image identity', () => {
    const target = buildOf({ imageProject: 'builder-image' }, workspaceShape({}));
    expect(target.inputs).toEqual([
      '{projectRoot}/**/*',
      '^default',
      '{workspaceRoot}/conda_build_config.yaml',
      '{workspaceRoot}/variants.yaml',
      { dependentTasksOutputFiles: '**/nx-conda-image.json' },
    ]);
  });

  it('are written out when condaGlobals lacks the image identity a build in an image project needs', () => {
    const noIdentity = workspaceShape({ default: ['condaGlobals'], condaGlobals: recipeGlobalsDefinition(false) });
    expect(buildOf({ imageProject: 'builder-image' }, noIdentity).inputs).toContainEqual({
      dependentTasksOutputFiles: '**/nx-conda-image.json',
    });
    expect(buildOf({ image: 'my/image:1' }, noIdentity).inputs).toBeUndefined();
  });

  it('give rattler-build no conda-build-only files, and an explicit image no image dependency', () => {
    const opts = normalizeOptions({ image: 'my/rattler:1', exclusiveConfigFiles: ['tools/exclusive.yaml'] });
    const target = recipeProject('r', 'r/recipe.yaml', 'r', { ...info, format: 'recipe' as const }, opts, slim)
      .targets!['build-recipe'];
    expect(JSON.stringify(target.inputs ?? [])).not.toMatch(/exclusive/);
    expect(target.options).toEqual({ image: 'my/rattler:1' });
    expect(target.dependsOn).toEqual(['^build-recipe']);
  });
});

describe('build-recipe options', () => {
  it('leave channels and skipExisting in nx.json (the executor reads the registration), and the image project in dependsOn', () => {
    const target = buildOf({ imageProject: 'builder-image', channels: ['conda-forge'], skipExisting: true });
    expect(target.options).toBeUndefined();
    expect(target.dependsOn).toEqual(['^build-recipe', 'builder-image:docker-image']);
  });

  it('name the output folder and platform only when they are not the defaults', () => {
    expect(buildOf({ outputRoot: 'out/pkgs', platform: 'linux-aarch64' })).toMatchObject({
      options: { outputPath: 'out/pkgs/recipes/foo', platform: 'linux-aarch64' },
      outputs: [
        '{workspaceRoot}/out/pkgs/{projectRoot}/noarch',
        '{workspaceRoot}/out/pkgs/{projectRoot}/linux-aarch64',
      ],
    });
    const atRoot = recipeProject('.', 'meta.yaml', 'foo', info, normalizeOptions({}), slim).targets!['build-recipe'];
    expect(atRoot.outputs).toEqual(['{workspaceRoot}/dist/conda/noarch', '{workspaceRoot}/dist/conda/linux-64']);
  });
});

describe('lint-recipe', () => {
  const lintOf = (o: Parameters<typeof normalizeOptions>[0]) =>
    recipeProject('recipes/foo', 'recipes/foo/meta.yaml', 'foo', info, normalizeOptions(o), slim);

  it('is inferred only when named, cached by the recipe folder and its options, with its own output files', () => {
    expect(lintOf({}).targets!['lint-recipe']).toBeUndefined();
    const project = lintOf({
      lintTargetName: 'lint-recipe',
      lint: { rules: { missing_home: 'warning' } },
      variantConfigFiles: ['pins.yaml'],
    });
    const lint = project.targets!['lint-recipe'];
    expect(lint).toMatchObject({
      executor: 'nx-conda:lint-recipe',
      cache: true,
      inputs: ['default', '{workspaceRoot}/pins.yaml'],
      outputs: [
        '{workspaceRoot}/dist/lint/{projectRoot}/lint.json',
        '{workspaceRoot}/dist/lint/{projectRoot}/lint.sarif',
      ],
      options: { rules: { missing_home: 'warning' }, variantConfigFiles: ['pins.yaml'] },
    });
    expect(lint.dependsOn).toBeUndefined();
    // Builds do not wait for it unless asked.
    expect(project.targets!['build-recipe'].dependsOn).not.toContain('lint-recipe');
  });

  it('runs before build-recipe with lintBeforeBuild, which infers it', () => {
    const project = lintOf({ lintBeforeBuild: true });
    expect(project.targets!['lint-recipe']).toBeDefined();
    expect(project.targets!['build-recipe'].dependsOn).toContain('lint-recipe');
  });

  it('is not cached when a repository check reads the channels, and gets the channels', () => {
    const lint = lintOf({
      lintTargetName: 'lint-recipe',
      channels: ['conda-forge'],
      lintOtherChannels: ['bioconda'],
      lint: { rules: { in_other_channels: 'error' } },
    }).targets!['lint-recipe'];
    expect(lint.cache).toBe(false);
    expect(lint.options).toMatchObject({ channels: ['conda-forge'], otherChannels: ['bioconda'] });
  });
});

describe('the inferred project, whole', () => {
  // Pinned as `nx show project <p> --json` shows it (before Nx's own normalization): the figures of
  // docs/benchmarks.md (the graph section) are for exactly this configuration. Everything here costs
  // Nx per project and per property (merge, source maps, the graph cache: see that section).
  it('is one small build-recipe target with default options in a workspace init made', () => {
    const project = recipeProject(
      'recipes/foo',
      'recipes/foo/meta.yaml',
      'foo',
      info,
      normalizeOptions({ imageProject: 'builder-image' }),
      slim,
    );
    expect(project).toEqual({
      name: 'foo',
      root: 'recipes/foo',
      // The version is hashed through the tags (Nx does not hash a target's metadata).
      tags: ['conda', expect.stringMatching(/^nx-conda@\d+\.\d+\.\d+/)],
      targets: {
        'build-recipe': {
          executor: 'nx-conda:recipe-build',
          cache: true,
          dependsOn: ['^build-recipe', 'builder-image:docker-image'],
          outputs: [
            '{workspaceRoot}/dist/conda/{projectRoot}/noarch',
            '{workspaceRoot}/dist/conda/{projectRoot}/linux-64',
          ],
        },
      },
    });
  });

  it('leaves the version tag out where Nx hashes the plugin version by itself', () => {
    const opts = normalizeOptions({ imageProject: 'builder-image' });
    const lockfileShape = { ...slim, versionHashedByNx: true };
    expect(recipeProject('recipes/foo', 'recipes/foo/meta.yaml', 'foo', info, opts, lockfileShape).tags).toEqual([
      'conda',
    ]);
  });

  it('has the opt-in targets when named: package-image after the build, purge-image with the project', () => {
    const project = recipeProject(
      'recipes/foo',
      'recipes/foo/meta.yaml',
      'foo',
      info,
      normalizeOptions({
        imageProject: 'builder-image',
        packageImageTargetName: 'package-image',
        purgeTargetName: 'purge-image',
        bumpTargetName: 'bump-recipe',
        registry: 'registry.example.org:5000',
      }),
      slim,
    );
    expect(project.targets!['bump-recipe']).toEqual({ executor: 'nx-conda:bump-recipe' });
    expect(project.targets!['package-image']).toMatchObject({
      executor: 'nx-conda:package-image',
      cache: false,
      dependsOn: ['build-recipe'],
      options: { imageProject: 'builder-image', registry: 'registry.example.org:5000' },
    });
    expect(project.targets!['purge-image']).toMatchObject({
      executor: 'nx-conda:purge-image',
      cache: false,
      options: { packageProject: 'foo', imageProject: 'builder-image' },
    });
  });
});
