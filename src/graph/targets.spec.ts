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
