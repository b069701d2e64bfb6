import { normalizeOptions } from './options';
import { recipeProject } from './targets';

const info = {
  format: 'meta' as const,
  packageName: 'foo',
  names: ['foo'],
  requirements: { build: [], host: [], run: [] },
};

describe('build-recipe cache inputs', () => {
  it('hash every file given by option and what docker-image wrote of the builder image', () => {
    const opts = normalizeOptions({
      imageProject: 'builder-image',
      variantConfigFiles: ['./tools/pins.yaml'],
      exclusiveConfigFiles: ['tools/exclusive.yaml'],
      buildScriptTemplate: 'tools/build.sh.tpl',
    });
    const target = recipeProject('recipes/foo', 'recipes/foo/meta.yaml', 'foo', info, opts).targets!['build-recipe'];
    expect(target.inputs).toEqual(
      expect.arrayContaining([
        '{workspaceRoot}/tools/pins.yaml',
        '{workspaceRoot}/tools/exclusive.yaml',
        '{workspaceRoot}/tools/build.sh.tpl',
        { input: 'default', projects: ['builder-image'] },
        { dependentTasksOutputFiles: '**/nx-conda-image.json' },
      ]),
    );
    expect(target.options).toMatchObject({
      variantConfigFiles: ['tools/pins.yaml'],
      exclusiveConfigFiles: ['tools/exclusive.yaml'],
      buildScriptTemplate: 'tools/build.sh.tpl',
    });
  });

  it('give rattler-build no conda-build-only files, and an explicit image no image-project inputs', () => {
    const opts = normalizeOptions({ image: 'my/rattler:1', exclusiveConfigFiles: ['tools/exclusive.yaml'] });
    const target = recipeProject('r', 'r/recipe.yaml', 'r', { ...info, format: 'recipe' as const }, opts).targets![
      'build-recipe'
    ];
    expect(JSON.stringify(target.inputs)).not.toMatch(/exclusive|nx-conda-image|builder-image/);
    expect(target.options).not.toHaveProperty('exclusiveConfigFiles');
  });
});

describe('lint-recipe', () => {
  const lintOf = (o: Parameters<typeof normalizeOptions>[0]) =>
    recipeProject('recipes/foo', 'recipes/foo/meta.yaml', 'foo', info, normalizeOptions(o));

  it('is inferred for every recipe, cached by the recipe folder and its options, with its own output folder', () => {
    const project = lintOf({ lint: { rules: { missing_home: 'warning' } }, variantConfigFiles: ['pins.yaml'] });
    const lint = project.targets!['lint-recipe'];
    expect(lint).toMatchObject({
      executor: 'nx-conda:lint-recipe',
      cache: true,
      inputs: ['{projectRoot}/**/*', '{workspaceRoot}/pins.yaml'],
      outputs: ['{options.outputPath}/lint.json', '{options.outputPath}/lint.sarif'],
      options: {
        recipeFile: 'recipes/foo/meta.yaml',
        outputPath: 'dist/lint/recipes/foo',
        platform: 'linux-64',
        rules: { missing_home: 'warning' },
      },
    });
    expect(lint.dependsOn).toBeUndefined();
    // Builds do not wait for it unless asked.
    expect(project.targets!['build-recipe'].dependsOn).not.toContain('lint-recipe');
  });

  it('runs before build-recipe with lintBeforeBuild', () => {
    expect(lintOf({ lintBeforeBuild: true }).targets!['build-recipe'].dependsOn).toContain('lint-recipe');
  });

  it('is not cached when a repository check reads the channels, and gets the channels', () => {
    const lint = lintOf({
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
  // Nx per project and per property (merge, source maps, the graph cache: see that section); what
  // is the same in every project cannot move to nx.json's targetDefaults for less, as measured there.
  it('has these four targets with these fields, for a conda-build recipe with default options', () => {
    const project = recipeProject('recipes/foo', 'recipes/foo/meta.yaml', 'foo', info, normalizeOptions({}));
    const technologies = ['conda'];
    const nxCondaVersion = expect.stringMatching(/^\d+\.\d+\.\d+/);
    expect(project).toEqual({
      name: 'foo',
      root: 'recipes/foo',
      projectType: 'library',
      tags: ['conda', 'conda:conda-build'],
      targets: {
        'build-recipe': {
          executor: 'nx-conda:recipe-build',
          cache: true,
          dependsOn: ['^build-recipe'],
          inputs: [
            '{projectRoot}/**/*',
            '^default',
            '{workspaceRoot}/conda_build_config.yaml',
            '{workspaceRoot}/variants.yaml',
          ],
          outputs: ['{options.outputPath}/noarch', '{options.outputPath}/{options.platform}'],
          options: { outputPath: 'dist/conda/recipes/foo', builder: 'conda-build', platform: 'linux-64' },
          metadata: {
            technologies,
            nxCondaVersion,
            description: 'Build recipes/foo/meta.yaml with conda-build for linux-64, in a container',
            help: {
              command: 'nx run foo:build-recipe --help',
              example: { options: { skipTests: true, verbose: true } },
            },
          },
        },
        'lint-recipe': {
          executor: 'nx-conda:lint-recipe',
          cache: true,
          inputs: ['{projectRoot}/**/*'],
          outputs: ['{options.outputPath}/lint.json', '{options.outputPath}/lint.sarif'],
          options: { recipeFile: 'recipes/foo/meta.yaml', outputPath: 'dist/lint/recipes/foo', platform: 'linux-64' },
          metadata: {
            technologies,
            nxCondaVersion,
            description: "Lint recipes/foo/meta.yaml with bioconda's checks (no container)",
            help: { command: 'nx run foo:lint-recipe --help', example: { options: { format: 'json' } } },
          },
        },
        'package-image': {
          executor: 'nx-conda:package-image',
          cache: false,
          dependsOn: ['build-recipe'],
          options: { outputPath: 'dist/conda/recipes/foo', platform: 'linux-64' },
          metadata: {
            technologies: ['conda', 'docker'],
            description: 'Build and test a container image of each package build-recipe made (installed at /usr/local)',
            help: {
              command: 'nx run foo:package-image --help',
              example: { options: { registry: 'registry.example.org:5000', skipTests: false } },
            },
          },
        },
        'purge-image': {
          executor: 'nx-conda:purge-image',
          cache: false,
          options: { packageProject: 'foo' },
          metadata: {
            technologies,
            description: 'Remove the package images package-image made for foo in this workspace',
            help: { command: 'nx run foo:purge-image --help', example: { options: { builderImages: true } } },
          },
        },
      },
      metadata: {
        technologies,
        description: 'conda recipe recipes/foo/meta.yaml (foo)',
        targetGroups: { conda: ['build-recipe', 'lint-recipe', 'package-image', 'purge-image'] },
      },
    });
  });
});
